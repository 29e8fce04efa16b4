package io.chargekit.app.ui.wallet

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.WalletPresenter

/**
 * Keeps the wallet presenter across configuration changes; its work runs in [viewModelScope].
 * Top-ups are offered in [currency], the currency of the market the app is built for.
 */
class WalletViewModel(client: ChargeKitClient, currency: String) : ViewModel() {

    val presenter = WalletPresenter(client, viewModelScope, currency = currency)

    init {
        presenter.refresh()
    }
}
