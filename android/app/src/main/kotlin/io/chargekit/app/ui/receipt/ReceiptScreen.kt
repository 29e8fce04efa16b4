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
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
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
import io.chargekit.MeterDataVerdict
import io.chargekit.ReceiptLineScreen
import io.chargekit.ReceiptPeriodScreen
import io.chargekit.ReceiptScreen
import io.chargekit.ReceiptVerdict
import io.chargekit.app.ui.rememberFormats
import io.chargekit.presenter.Formats

/** The receipt destination. */
@Composable
fun ReceiptRoute(client: ChargeKitClient, sessionId: String, onDone: () -> Unit) {
    val viewModel = viewModel { ReceiptViewModel(client, sessionId) }
    val state by viewModel.state.collectAsStateWithLifecycle()
    ReceiptContent(state = state, onRetry = viewModel::load, onDone = onDone)
}

/**
 * An itemized receipt: first the core's verdict ("Verified receipt" only for a genuine
 * signature, a warning otherwise), what was billed line by line, then net, VAT and total, and
 * what the charger's meter signed.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReceiptContent(state: ReceiptUiState, onRetry: () -> Unit, onDone: () -> Unit) {
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
private fun Receipt(receipt: ReceiptScreen, onDone: () -> Unit, modifier: Modifier) {
    val formats = rememberFormats()
    Column(
        modifier = modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Verdict(receipt.verdict, receipt.warning)
        Text(receipt.evseId, style = MaterialTheme.typography.titleLarge)
        receipt.startedAt?.let { Text(formats.dateTime(it), style = MaterialTheme.typography.bodyMedium) }
        Text(stringResource(receipt.phase.label()), style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.primary)
        Amount(stringResource(R.string.receipt_energy), formats.quantity(receipt.energy))
        Amount(stringResource(R.string.receipt_duration), formats.quantity(receipt.duration))
        receipt.chargingTime?.let { Amount(stringResource(R.string.receipt_charging_time), formats.quantity(it)) }
        receipt.parkingTime?.let { Amount(stringResource(R.string.receipt_parking_time), formats.quantity(it)) }
        receipt.failureReason?.let { Text(it, color = MaterialTheme.colorScheme.error) }

        HorizontalDivider()
        receipt.lines.forEach { Line(it, formats) }
        HorizontalDivider()

        Amount(stringResource(R.string.receipt_net), formats.money(receipt.net))
        Amount(stringResource(R.string.receipt_vat), formats.money(receipt.vat))
        Amount(stringResource(R.string.receipt_total), formats.money(receipt.total), emphasized = true)

        receipt.meterData?.let { MeterData(it, formats) }
        if (receipt.periods.isNotEmpty()) {
            Text(stringResource(R.string.receipt_periods), style = MaterialTheme.typography.titleSmall)
            receipt.periods.forEach { Period(it, formats) }
        }
        receipt.issuedAt?.let { Text(stringResource(R.string.receipt_issued, formats.dateTime(it)), style = MaterialTheme.typography.bodySmall) }

        Button(onClick = onDone, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.done))
        }
    }
}

/** The core's verdict on the signature, as a card: calm when verified, a warning otherwise. */
@Composable
private fun Verdict(verdict: ReceiptVerdict, warning: Boolean) {
    val (title, detail) = when (verdict) {
        ReceiptVerdict.Verified -> stringResource(R.string.verdict_verified) to stringResource(R.string.verdict_verified_detail)
        is ReceiptVerdict.Tampered -> stringResource(R.string.verdict_tampered) to stringResource(R.string.verdict_tampered_detail, verdict.reason)
        is ReceiptVerdict.UnknownKey -> stringResource(R.string.verdict_unknown_key) to stringResource(R.string.verdict_unknown_key_detail, verdict.keyId)
        is ReceiptVerdict.Unchecked -> stringResource(R.string.verdict_unchecked) to verdict.message
    }
    val colors = if (warning) {
        CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.errorContainer,
            contentColor = MaterialTheme.colorScheme.onErrorContainer,
        )
    } else {
        CardDefaults.cardColors()
    }
    Card(Modifier.fillMaxWidth(), colors = colors) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(title, style = MaterialTheme.typography.titleMedium)
            detail?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
        }
    }
}

@Composable
private fun MeterData(meter: MeterDataVerdict, formats: Formats) {
    val text = when (meter) {
        MeterDataVerdict.NotSigned -> stringResource(R.string.meter_not_signed)
        is MeterDataVerdict.Verified -> meter.meterSerial?.let { stringResource(R.string.meter_verified_serial, it, formats.quantity(meter.energy)) }
            ?: stringResource(R.string.meter_verified, formats.quantity(meter.energy))
        is MeterDataVerdict.Invalid -> stringResource(R.string.meter_invalid, meter.reason)
        is MeterDataVerdict.Unsupported -> stringResource(R.string.meter_unsupported, meter.algorithm)
        MeterDataVerdict.NoMeterKey -> stringResource(R.string.meter_no_key)
    }
    val color = if (meter is MeterDataVerdict.Invalid) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant
    Text(text, style = MaterialTheme.typography.bodyMedium, color = color)
}

@Composable
private fun Period(period: ReceiptPeriodScreen, formats: Formats) {
    val (start, duration) = formats.quantity(period.start) to formats.quantity(period.duration)
    val text = if (period.charging) {
        stringResource(R.string.receipt_period_charging, start, duration, formats.quantity(period.energy))
    } else {
        stringResource(R.string.receipt_period_parking, start, duration)
    }
    Text(text, style = MaterialTheme.typography.bodySmall)
}

@Composable
private fun Line(line: ReceiptLineScreen, formats: Formats) {
    Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
        Column(Modifier.weight(1f)) {
            Text(stringResource(line.kind.label()), style = MaterialTheme.typography.bodyLarge)
            Text(
                stringResource(R.string.receipt_line_detail, formats.quantity(line.quantity), formats.price(line.unitPrice)),
                style = MaterialTheme.typography.bodySmall,
            )
        }
        Text(formats.money(line.amount), style = MaterialTheme.typography.bodyLarge)
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
