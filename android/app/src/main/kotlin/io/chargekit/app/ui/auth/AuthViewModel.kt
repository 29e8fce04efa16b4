package io.chargekit.app.ui.auth

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import io.chargekit.Account
import io.chargekit.ChargeKitException
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** What the sign-in screen shows: a request under way, the core's sentence on failure, or the account. */
data class AuthState(
    val busy: Boolean = false,
    val error: String? = null,
    val account: Account? = null,
)

/** Signs the driver up or in through the core; the core keeps the token in the secure store. */
class AuthViewModel(private val client: ChargeKitClient) : ViewModel() {

    private val _state = MutableStateFlow(AuthState())
    val state: StateFlow<AuthState> = _state.asStateFlow()

    fun signIn(email: String, password: String) = submit { client.signIn(email, password) }

    fun signUp(email: String, password: String) = submit { client.signUp(email, password) }

    private fun submit(call: suspend () -> Account) {
        if (_state.value.busy) return
        _state.value = AuthState(busy = true)
        viewModelScope.launch {
            _state.value = try {
                AuthState(account = call())
            } catch (e: ChargeKitException) {
                AuthState(error = e.message)
            }
        }
    }
}
