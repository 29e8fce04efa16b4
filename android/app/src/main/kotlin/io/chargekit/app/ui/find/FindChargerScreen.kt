package io.chargekit.app.ui.find

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.FindChargerStep
import io.chargekit.Payment
import io.chargekit.app.R
import io.chargekit.app.nfc.NfcReader
import io.chargekit.app.qr.QrScanner
import io.chargekit.app.ui.OverflowMenu
import io.chargekit.app.ui.label
import io.chargekit.app.ui.startedWith
import io.chargekit.app.ui.text
import io.chargekit.client.ChargeKitClient
import io.chargekit.ChargerScreen
import io.chargekit.ConnectorAvailability
import io.chargekit.PaymentChoiceScreen
import io.chargekit.PriceUnit
import io.chargekit.app.ui.label
import io.chargekit.app.ui.rememberFormats

/**
 * The find-a-charger destination: wires the presenter to the camera, NFC and navigation.
 *
 * Tags tapped while this screen is shown go to the presenter. When a session starts, the live
 * screen opens once: the presenter keeps its `Started` state, so coming back here shows a link to
 * the session instead of opening it again.
 */
@Composable
fun FindChargerRoute(
    client: ChargeKitClient,
    nfc: NfcReader,
    onOpenSession: (sessionId: String) -> Unit,
    onOpenHistory: () -> Unit,
    onOpenCards: () -> Unit,
    onOpenWallet: () -> Unit,
    onSignedOut: () -> Unit,
) {
    val viewModel = viewModel { FindChargerViewModel(client) }
    val presenter = viewModel.presenter
    val screen by presenter.state.collectAsStateWithLifecycle()

    LaunchedEffect(presenter) {
        presenter.onShown()
        nfc.ndefMessages.collect { presenter.onNdefMessage(it) }
    }

    var openedSession by rememberSaveable { mutableStateOf<String?>(null) }
    LaunchedEffect(screen.step) {
        val started = screen.step as? FindChargerStep.Started ?: return@LaunchedEffect
        if (started.sessionId != openedSession) {
            openedSession = started.sessionId
            onOpenSession(started.sessionId)
        }
    }

    FindChargerScreen(
        state = screen.step,
        payment = screen.payment,
        nfcAvailable = nfc.isAvailable,
        onQrScanned = presenter::onQrScanned,
        onIdTyped = presenter::onIdTyped,
        onPaymentChosen = presenter::onPaymentChosen,
        onStartTapped = presenter::onStartTapped,
        onDismissError = presenter::onDismissError,
        onOpenSession = onOpenSession,
        onOpenHistory = onOpenHistory,
        onOpenCards = onOpenCards,
        onOpenWallet = onOpenWallet,
        onSignOut = { viewModel.signOut(onSignedOut) },
    )
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun FindChargerScreen(
    state: FindChargerStep,
    payment: PaymentChoiceScreen,
    nfcAvailable: Boolean,
    onQrScanned: (String) -> Unit,
    onIdTyped: (String) -> Unit,
    onPaymentChosen: (Payment) -> Unit,
    onStartTapped: () -> Unit,
    onDismissError: () -> Unit,
    onOpenSession: (sessionId: String) -> Unit,
    onOpenHistory: () -> Unit,
    onOpenCards: () -> Unit,
    onOpenWallet: () -> Unit,
    onSignOut: () -> Unit,
) {
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.find_title)) },
                actions = {
                    TextButton(onClick = onOpenHistory) { Text(stringResource(R.string.history_title)) }
                    OverflowMenu(
                        R.string.cards_title to onOpenCards,
                        R.string.wallet_title to onOpenWallet,
                        R.string.sign_out to onSignOut,
                    )
                },
            )
        },
    ) { padding ->
        Column(
            modifier = Modifier
                .fillMaxSize()
                .padding(padding)
                .imePadding()
                .verticalScroll(rememberScrollState())
                .padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            QrScanner(
                onQrScanned = onQrScanned,
                modifier = Modifier
                    .fillMaxWidth()
                    .height(240.dp)
                    .clip(MaterialTheme.shapes.medium),
            )
            Text(stringResource(R.string.find_scan_hint), style = MaterialTheme.typography.bodyMedium)
            if (nfcAvailable) {
                Text(stringResource(R.string.find_nfc_hint), style = MaterialTheme.typography.bodyMedium)
            }
            EvseIdField(onIdTyped)
            when (state) {
                FindChargerStep.Idle -> Unit
                is FindChargerStep.Looking -> Progress(stringResource(R.string.find_looking, state.evseId))
                is FindChargerStep.Found -> {
                    ChargerCardView(state.charger, onStartTapped, starting = false) {
                        PaymentPicker(payment, onPaymentChosen, enabled = true)
                    }
                }
                is FindChargerStep.Starting -> {
                    ChargerCardView(state.charger, onStartTapped, starting = true) {
                        PaymentPicker(payment, onPaymentChosen, enabled = false)
                    }
                }
                is FindChargerStep.Started -> SessionStarted(onOpen = { onOpenSession(state.sessionId) })
                is FindChargerStep.Ongoing -> SessionOngoing(state, onOpen = { onOpenSession(state.sessionId) })
                is FindChargerStep.Failed -> {
                    ErrorCard(state.message, onDismissError)
                    // The charger stays in view after a failed start; start again from a new lookup.
                    state.charger?.let { ChargerCardView(it, onStartTapped = null, starting = false) }
                }
            }
        }
    }
}

@Composable
private fun EvseIdField(onIdTyped: (String) -> Unit) {
    var typed by rememberSaveable { mutableStateOf("") }
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(
            value = typed,
            onValueChange = { typed = it },
            label = { Text(stringResource(R.string.find_evse_id)) },
            placeholder = { Text(stringResource(R.string.find_evse_id_example)) },
            singleLine = true,
            keyboardOptions = KeyboardOptions(
                capitalization = KeyboardCapitalization.Characters,
                autoCorrectEnabled = false,
                imeAction = ImeAction.Search,
            ),
            keyboardActions = KeyboardActions(onSearch = { onIdTyped(typed) }),
            modifier = Modifier.weight(1f),
        )
        Button(onClick = { onIdTyped(typed) }, enabled = typed.isNotBlank()) {
            Text(stringResource(R.string.find_lookup))
        }
    }
}

@Composable
private fun ChargerCardView(
    charger: ChargerScreen,
    onStartTapped: (() -> Unit)?,
    starting: Boolean,
    payment: @Composable () -> Unit = {},
) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(charger.evseId, style = MaterialTheme.typography.titleLarge)
            val formats = rememberFormats()
            val usable = charger.availability == ConnectorAvailability.AVAILABLE
            Text(
                stringResource(R.string.charger_status, stringResource(charger.availability.label())),
                color = if (usable) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error,
                style = MaterialTheme.typography.labelLarge,
            )
            if (charger.prices.isNotEmpty()) {
                Text(stringResource(R.string.charger_prices), style = MaterialTheme.typography.labelMedium)
                charger.prices.forEach { price ->
                    val per = when (price.per) {
                        PriceUnit.PER_KILOWATT_HOUR -> stringResource(R.string.price_per_kwh)
                        PriceUnit.PER_HOUR -> stringResource(R.string.price_per_hour)
                        PriceUnit.PER_SESSION -> ""
                    }
                    val vat = price.vatPercent?.let { stringResource(R.string.price_vat, formats.percent(it)) }.orEmpty()
                    Text("${formats.price(price)} $per $vat".trim(), style = MaterialTheme.typography.bodyLarge)
                }
            }
            if (onStartTapped != null) {
                payment()
                Button(
                    onClick = onStartTapped,
                    enabled = charger.canStart && !starting,
                    modifier = Modifier.fillMaxWidth(),
                ) {
                    Text(stringResource(if (starting) R.string.charger_starting else R.string.charger_start))
                }
            }
        }
    }
}

/** The wallet and the driver's cards, one checked; nothing when the backend offered none. */
@Composable
private fun PaymentPicker(payment: PaymentChoiceScreen, onPaymentChosen: (Payment) -> Unit, enabled: Boolean) {
    val formats = rememberFormats()
    if (payment.options.isEmpty()) return
    Text(stringResource(R.string.charger_pay_with), style = MaterialTheme.typography.labelMedium)
    Column(Modifier.selectableGroup()) {
        payment.options.forEach { option ->
            Row(
                modifier = Modifier
                    .fillMaxWidth()
                    .selectable(
                        selected = option.selected,
                        enabled = enabled,
                        role = Role.RadioButton,
                        onClick = { onPaymentChosen(option.payment) },
                    )
                    .padding(vertical = 4.dp),
                verticalAlignment = Alignment.CenterVertically,
                horizontalArrangement = Arrangement.spacedBy(8.dp),
            ) {
                RadioButton(selected = option.selected, onClick = null, enabled = enabled)
                Text(option.method.text(formats), Modifier.weight(1f), style = MaterialTheme.typography.bodyLarge)
                if (option.isDefault) {
                    Text(stringResource(R.string.method_default), style = MaterialTheme.typography.labelSmall)
                }
            }
        }
    }
}

@Composable
private fun SessionStarted(onOpen: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.find_session_started), style = MaterialTheme.typography.titleMedium)
            Button(onClick = onOpen, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.find_show_session))
            }
        }
    }
}

/** A session going on, perhaps started at the charger with a card or by the car. */
@Composable
private fun SessionOngoing(state: FindChargerStep.Ongoing, onOpen: () -> Unit) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.find_session_ongoing, state.evseId), style = MaterialTheme.typography.titleMedium)
            state.authMethod.startedWith()?.let { Text(stringResource(it), style = MaterialTheme.typography.bodyMedium) }
            Button(onClick = onOpen, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.find_show_session))
            }
        }
    }
}

@Composable
private fun ErrorCard(message: String, onDismiss: () -> Unit) {
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

@Composable
private fun Progress(text: String) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
        CircularProgressIndicator(Modifier.size(24.dp), strokeWidth = 2.dp)
        Text(text, style = MaterialTheme.typography.bodyMedium)
    }
}
