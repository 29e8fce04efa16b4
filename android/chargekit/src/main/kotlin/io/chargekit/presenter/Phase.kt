package io.chargekit.presenter

import io.chargekit.SessionInfo
import io.chargekit.SessionState

/** Where a session stands, as the screens label it (each screen maps it to a localized string). */
enum class Phase { STARTING, CHARGING, STOPPING, STOP_PENDING, COMPLETED, FAILED, UNDER_REVIEW }

fun SessionInfo.phase(): Phase = when {
    stopPending -> Phase.STOP_PENDING
    else -> when (state) {
        SessionState.STARTING -> Phase.STARTING
        SessionState.CHARGING -> Phase.CHARGING
        SessionState.STOPPING -> Phase.STOPPING
        SessionState.COMPLETED -> Phase.COMPLETED
        SessionState.FAILED -> Phase.FAILED
        SessionState.UNDER_REVIEW -> Phase.UNDER_REVIEW
    }
}
