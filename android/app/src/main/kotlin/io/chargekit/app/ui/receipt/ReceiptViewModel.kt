package io.chargekit.app.ui.receipt

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.ChargeKitException
import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.ReceiptPresenter
import io.chargekit.ReceiptScreen
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** The receipt screen: on its way, shown, or not to be had (neither reachable nor cached). */
sealed interface ReceiptUiState {
    data object Loading : ReceiptUiState
    data class Loaded(val receipt: ReceiptScreen) : ReceiptUiState
    data class Failed(val message: String) : ReceiptUiState
}

/** Loads a session's receipt through [ReceiptPresenter], which works offline from the cache. */
class ReceiptViewModel(client: ChargeKitClient, private val sessionId: String) : ViewModel() {

    private val presenter = ReceiptPresenter(client)

    private val _state = MutableStateFlow<ReceiptUiState>(ReceiptUiState.Loading)
    val state: StateFlow<ReceiptUiState> = _state.asStateFlow()

    init {
        load()
    }

    fun load() {
        _state.value = ReceiptUiState.Loading
        viewModelScope.launch {
            _state.value = try {
                ReceiptUiState.Loaded(presenter.load(sessionId))
            } catch (e: ChargeKitException) {
                ReceiptUiState.Failed(e.message.orEmpty())
            }
        }
    }
}
