package io.chargekit.app.ui.live

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.LiveSessionPresenter

/**
 * Follows one session for as long as its screen is on the back stack. Rotating the phone keeps
 * the subscription; leaving the screen clears this ViewModel and releases it in the core.
 */
class LiveSessionViewModel(client: ChargeKitClient, sessionId: String) : ViewModel() {

    val presenter = LiveSessionPresenter(client, sessionId, viewModelScope)

    override fun onCleared() {
        presenter.close()
    }
}
