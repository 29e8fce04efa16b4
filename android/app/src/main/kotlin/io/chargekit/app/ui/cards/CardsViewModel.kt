package io.chargekit.app.ui.cards

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.CardsPresenter

/** Keeps the cards presenter across configuration changes; its work runs in [viewModelScope]. */
class CardsViewModel(client: ChargeKitClient) : ViewModel() {

    val presenter = CardsPresenter(client, viewModelScope)

    init {
        presenter.refresh()
    }
}
