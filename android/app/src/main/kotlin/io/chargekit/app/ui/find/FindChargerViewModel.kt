package io.chargekit.app.ui.find

import android.util.Log
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.ChargeKitException
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.FindChargerPresenter

/** Keeps the find-a-charger presenter across configuration changes; its work runs in [viewModelScope]. */
class FindChargerViewModel(private val client: ChargeKitClient) : ViewModel() {

    val presenter = FindChargerPresenter(client, viewModelScope)

    /**
     * Signs out; the driver is signed out even when the phone could not forget the history
     * (that failure is logged: there is nothing the driver could do about it).
     */
    fun signOut() {
        try {
            client.signOut()
        } catch (e: ChargeKitException) {
            Log.w("ChargeKit", "signed out, but the history on this phone could not be cleared: ${e.message}")
        }
    }
}
