package io.chargekit.app.ui.find

import android.util.Log
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.ChargeKitException
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.FindChargerPresenter
import kotlinx.coroutines.launch

/** Keeps the find-a-charger presenter across configuration changes; its work runs in [viewModelScope]. */
class FindChargerViewModel(private val client: ChargeKitClient) : ViewModel() {

    val presenter = FindChargerPresenter(client, viewModelScope)

    /**
     * Signs out off the main thread (the core deletes the history on disk), then [onSignedOut].
     * A failure leaves the driver signed in (the secure store could not forget the sign-in now);
     * it is logged, and tapping again retries.
     */
    fun signOut(onSignedOut: () -> Unit) {
        viewModelScope.launch {
            try {
                client.signOut()
                onSignedOut()
            } catch (e: ChargeKitException) {
                Log.w("ChargeKit", "not signed out: ${e.message}")
            }
        }
    }
}
