package io.chargekit.app.ui

import androidx.annotation.StringRes
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.res.stringResource
import io.chargekit.AuthMethod
import io.chargekit.ConnectorAvailability
import io.chargekit.CostKind
import io.chargekit.app.R
import io.chargekit.PaymentOptionLabel
import io.chargekit.SessionPhase
import io.chargekit.presenter.Formats

/** The localized label of a session's phase, as every screen shows it. */
@StringRes
fun SessionPhase.label(): Int = when (this) {
    SessionPhase.STARTING -> R.string.phase_starting
    SessionPhase.CHARGING -> R.string.phase_charging
    SessionPhase.STOPPING -> R.string.phase_stopping
    SessionPhase.STOP_PENDING -> R.string.phase_stop_pending
    SessionPhase.COMPLETED -> R.string.phase_completed
    SessionPhase.FAILED -> R.string.phase_failed
    SessionPhase.UNDER_REVIEW -> R.string.phase_under_review
}

/** The driver's words for a connector's state (never the charger's OCPP name). */
@StringRes
fun ConnectorAvailability.label(): Int = when (this) {
    ConnectorAvailability.AVAILABLE -> R.string.connector_available
    ConnectorAvailability.OCCUPIED -> R.string.connector_occupied
    ConnectorAvailability.CHARGING -> R.string.connector_charging
    ConnectorAvailability.FAULTED -> R.string.connector_faulted
    ConnectorAvailability.UNAVAILABLE -> R.string.connector_unavailable
    ConnectorAvailability.OFFLINE -> R.string.connector_offline
    ConnectorAvailability.UNKNOWN -> R.string.connector_unknown
}

/** The one [Formats] of the composition: the device's locale and time zone. */
@Composable
fun rememberFormats(): Formats = remember { Formats() }

/** The localized name of a receipt line. */
@StringRes
fun CostKind.label(): Int = when (this) {
    CostKind.ENERGY -> R.string.cost_energy
    CostKind.TIME -> R.string.cost_time
    CostKind.PARKING -> R.string.cost_parking
    CostKind.FLAT -> R.string.cost_flat
}

/** How a payment method is named on every screen: "Wallet (€20.00)", "visa •••• 4242". */
@Composable
fun PaymentOptionLabel.text(formats: Formats): String = when (this) {
    is PaymentOptionLabel.Wallet -> available?.let { stringResource(R.string.method_wallet_available, formats.money(it)) }
        ?: stringResource(R.string.method_wallet)
    is PaymentOptionLabel.Card -> {
        val name = brand ?: stringResource(R.string.method_card_unnamed)
        last4?.let { stringResource(R.string.method_card, name, it) } ?: name
    }
}

/** How a session was started, when not from the app: "Started with your charging card". */
@StringRes
fun AuthMethod.startedWith(): Int? = when (this) {
    AuthMethod.APP -> null
    AuthMethod.RFID -> R.string.started_with_card
    AuthMethod.PLUG_AND_CHARGE -> R.string.started_by_car
}
