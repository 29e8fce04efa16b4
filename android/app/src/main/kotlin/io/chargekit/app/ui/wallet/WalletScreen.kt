package io.chargekit.app.ui.wallet

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.app.BuildConfig
import io.chargekit.app.R
import io.chargekit.app.ui.BackButton
import io.chargekit.app.ui.Loading
import io.chargekit.app.ui.text
import io.chargekit.client.ChargeKitClient
import io.chargekit.MoneyAmount
import io.chargekit.WalletBalanceScreen
import io.chargekit.WalletMethodScreen
import io.chargekit.app.ui.rememberFormats
import io.chargekit.ListStatus
import io.chargekit.WalletState
import io.chargekit.presenter.Formats

/** The wallet destination. */
@Composable
fun WalletRoute(client: ChargeKitClient, onBack: () -> Unit) {
    val viewModel = viewModel { WalletViewModel(client, BuildConfig.WALLET_CURRENCY) }
    val presenter = viewModel.presenter
    val state by presenter.state.collectAsStateWithLifecycle()
    WalletScreen(
        state = state,
        onTopUp = { presenter.onTopUp(it) },
        onMakeDefault = { presenter.onMakeDefault(it) },
        onDismissMessage = presenter::onDismissMessage,
        onRetry = { presenter.refresh() },
        onBack = onBack,
    )
}

/** Balances per currency (with what is held for a session going on), top-ups, payment methods. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun WalletScreen(
    state: WalletState,
    onTopUp: (MoneyAmount) -> Unit,
    onMakeDefault: (WalletMethodScreen) -> Unit,
    onDismissMessage: () -> Unit,
    onRetry: () -> Unit,
    onBack: () -> Unit,
) {
    Scaffold(
        topBar = {
            TopAppBar(title = { Text(stringResource(R.string.wallet_title)) }, navigationIcon = { BackButton(onBack) })
        },
    ) { padding ->
        val modifier = Modifier.padding(padding)
        when (val status = state.status) {
            ListStatus.Loading -> Loading(modifier)
            is ListStatus.Unavailable -> Column(
                modifier = modifier.fillMaxSize().padding(24.dp),
                horizontalAlignment = Alignment.CenterHorizontally,
                verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
            ) {
                Text(status.message, textAlign = TextAlign.Center)
                Button(onClick = onRetry) { Text(stringResource(R.string.retry)) }
            }
            ListStatus.Loaded -> Column(
                modifier = modifier
                    .fillMaxSize()
                    .verticalScroll(rememberScrollState())
                    .padding(16.dp),
                verticalArrangement = Arrangement.spacedBy(12.dp),
            ) {
                state.message?.let { Message(it, onDismissMessage) }
                val formats = rememberFormats()
                if (state.wallet.balances.isEmpty()) {
                    Text(stringResource(R.string.wallet_empty), style = MaterialTheme.typography.bodyLarge)
                }
                state.wallet.balances.forEach { Balance(it, formats) }

                Text(stringResource(R.string.wallet_top_up), style = MaterialTheme.typography.titleMedium)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    state.wallet.topUps.forEach { amount ->
                        OutlinedButton(onClick = { onTopUp(amount) }, enabled = !state.busy) { Text(formats.money(amount)) }
                    }
                }

                HorizontalDivider()
                Text(stringResource(R.string.wallet_methods), style = MaterialTheme.typography.titleMedium)
                state.wallet.methods.forEach { method -> Method(method, formats, enabled = !state.busy, onMakeDefault = { onMakeDefault(method) }) }
            }
        }
    }
}

@Composable
private fun Balance(balance: WalletBalanceScreen, formats: Formats) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(formats.money(balance.available), style = MaterialTheme.typography.headlineMedium)
            balance.held?.let { Text(stringResource(R.string.wallet_held, formats.money(it)), style = MaterialTheme.typography.bodyMedium) }
        }
    }
}

@Composable
private fun Method(method: WalletMethodScreen, formats: Formats, enabled: Boolean, onMakeDefault: () -> Unit) {
    Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
        Text(method.method.text(formats), Modifier.weight(1f), style = MaterialTheme.typography.bodyLarge)
        if (method.isDefault) {
            Text(stringResource(R.string.method_default), style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.primary)
        } else {
            TextButton(onClick = onMakeDefault, enabled = enabled) { Text(stringResource(R.string.wallet_make_default)) }
        }
    }
}

@Composable
private fun Message(message: String, onDismiss: () -> Unit) {
    Card(
        modifier = Modifier.fillMaxWidth(),
        colors = CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.errorContainer,
            contentColor = MaterialTheme.colorScheme.onErrorContainer,
        ),
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(message, style = MaterialTheme.typography.bodyLarge)
            TextButton(onClick = onDismiss) { Text(stringResource(R.string.dismiss)) }
        }
    }
}
