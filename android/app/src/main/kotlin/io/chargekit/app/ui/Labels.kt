package io.chargekit.app.ui

import androidx.annotation.StringRes
import io.chargekit.CostKind
import io.chargekit.app.R
import io.chargekit.presenter.Phase

/** The localized label of a session's phase, as every screen shows it. */
@StringRes
fun Phase.label(): Int = when (this) {
    Phase.STARTING -> R.string.phase_starting
    Phase.CHARGING -> R.string.phase_charging
    Phase.STOPPING -> R.string.phase_stopping
    Phase.STOP_PENDING -> R.string.phase_stop_pending
    Phase.COMPLETED -> R.string.phase_completed
    Phase.FAILED -> R.string.phase_failed
}

/** The localized name of a receipt line. */
@StringRes
fun CostKind.label(): Int = when (this) {
    CostKind.ENERGY -> R.string.cost_energy
    CostKind.TIME -> R.string.cost_time
    CostKind.PARKING -> R.string.cost_parking
    CostKind.FLAT -> R.string.cost_flat
}
