package io.chargekit.app.ui.receipt

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.app.R
import io.chargekit.app.ui.BackButton
import io.chargekit.app.ui.Loading
import io.chargekit.app.ui.label
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.ReceiptLine
import io.chargekit.presenter.ReceiptState

/** The receipt destination. */
@Composable
fun ReceiptRoute(client: ChargeKitClient, sessionId: String, onDone: () -> Unit) {
    val viewModel = viewModel { ReceiptViewModel(client, sessionId) }
    val state by viewModel.state.collectAsStateWithLifecycle()
    ReceiptScreen(state = state, onRetry = viewModel::load, onDone = onDone)
}

/** An itemized receipt: what was billed line by line, then net, VAT and total. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReceiptScreen(state: ReceiptUiState, onRetry: () -> Unit, onDone: () -> Unit) {
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.receipt_title)) },
                navigationIcon = { BackButton(onDone) },
            )
        },
    ) { padding ->
        val modifier = Modifier.padding(padding)
        when (state) {
            ReceiptUiState.Loading -> Loading(modifier)
            is ReceiptUiState.Failed -> Unavailable(state.message, onRetry, modifier)
            is ReceiptUiState.Loaded -> Receipt(state.receipt, onDone, modifier)
        }
    }
}

@Composable
private fun Receipt(receipt: ReceiptState, onDone: () -> Unit, modifier: Modifier) {
    Column(
        modifier = modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(receipt.evseId, style = MaterialTheme.typography.titleLarge)
        Text(receipt.date, style = MaterialTheme.typography.bodyMedium)
        Text(stringResource(receipt.phase.label()), style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.primary)
        Amount(stringResource(R.string.receipt_energy), receipt.energy)
        Amount(stringResource(R.string.receipt_duration), receipt.duration)
        receipt.failureReason?.let { Text(it, color = MaterialTheme.colorScheme.error) }

        HorizontalDivider()
        receipt.lines.forEach { Line(it) }
        HorizontalDivider()

        Amount(stringResource(R.string.receipt_net), receipt.net)
        Amount(stringResource(R.string.receipt_vat), receipt.vat)
        Amount(stringResource(R.string.receipt_total), receipt.total, emphasized = true)

        Button(onClick = onDone, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.done))
        }
    }
}

@Composable
private fun Line(line: ReceiptLine) {
    Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
        Column(Modifier.weight(1f)) {
            Text(stringResource(line.kind.label()), style = MaterialTheme.typography.bodyLarge)
            Text(
                stringResource(R.string.receipt_line_detail, line.quantity, line.unitPrice),
                style = MaterialTheme.typography.bodySmall,
            )
        }
        Text(line.amount, style = MaterialTheme.typography.bodyLarge)
    }
}

@Composable
private fun Amount(label: String, value: String, emphasized: Boolean = false) {
    val weight = if (emphasized) FontWeight.Bold else FontWeight.Normal
    Row(Modifier.fillMaxWidth()) {
        Text(label, Modifier.weight(1f), style = MaterialTheme.typography.bodyLarge, fontWeight = weight)
        Text(value, style = MaterialTheme.typography.bodyLarge, fontWeight = weight)
    }
}

@Composable
private fun Unavailable(message: String, onRetry: () -> Unit, modifier: Modifier) {
    Column(
        modifier = modifier
            .fillMaxSize()
            .padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
    ) {
        Text(message, textAlign = TextAlign.Center)
        Button(onClick = onRetry) { Text(stringResource(R.string.retry)) }
    }
}
