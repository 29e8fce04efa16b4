package io.chargekit.app.ui.find

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.FindChargerPresenter

/** Keeps the find-a-charger presenter across configuration changes; its work runs in [viewModelScope]. */
class FindChargerViewModel(private val client: ChargeKitClient) : ViewModel() {

    val presenter = FindChargerPresenter(client, viewModelScope)

    fun signOut() = client.signOut()
}
