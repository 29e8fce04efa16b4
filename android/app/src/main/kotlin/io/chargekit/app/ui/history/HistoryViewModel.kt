package io.chargekit.app.ui.history

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.HistoryPresenter

/** The history presenter, refreshed once when the screen first opens (the cache shows at once). */
class HistoryViewModel(client: ChargeKitClient) : ViewModel() {

    val presenter = HistoryPresenter(client, viewModelScope)

    init {
        presenter.refresh()
    }
}
