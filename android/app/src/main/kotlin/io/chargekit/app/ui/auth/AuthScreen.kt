package io.chargekit.app.ui.auth

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.AuthState as CoreAuthState
import io.chargekit.app.R
import io.chargekit.client.ChargeKitClient

/** The sign-in destination: its ViewModel, and the way on once the driver is signed in. */
@Composable
fun AuthRoute(client: ChargeKitClient, onSignedIn: () -> Unit) {
    val viewModel = viewModel { AuthViewModel(client) }
    val state by viewModel.state.collectAsStateWithLifecycle()
    // The core says why the sign-in ended; the screen says so when the backend ended it.
    val auth by remember(client) { client.authState }.collectAsStateWithLifecycle(initialValue = null)
    LaunchedEffect(state.account) {
        if (state.account != null) onSignedIn()
    }
    AuthScreen(state = state, revoked = auth is CoreAuthState.Revoked, onSignIn = viewModel::signIn, onSignUp = viewModel::signUp)
}

@Composable
fun AuthScreen(
    state: AuthState,
    /** The backend ended the last sign-in (expired, or signed out elsewhere). */
    revoked: Boolean,
    onSignIn: (email: String, password: String) -> Unit,
    onSignUp: (email: String, password: String) -> Unit,
) {
    var email by rememberSaveable { mutableStateOf("") }
    // Not saveable: a password has no business in the saved instance state.
    var password by remember { mutableStateOf("") }

    Scaffold { padding ->
        Column(
            modifier = Modifier
                .fillMaxSize()
                .padding(padding)
                .imePadding()
                .verticalScroll(rememberScrollState())
                .padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
        ) {
            Text(stringResource(R.string.auth_title), style = MaterialTheme.typography.headlineMedium)
            if (revoked && state.error == null) Text(stringResource(R.string.auth_revoked), style = MaterialTheme.typography.bodyMedium)
            OutlinedTextField(
                value = email,
                onValueChange = { email = it },
                label = { Text(stringResource(R.string.auth_email)) },
                singleLine = true,
                enabled = !state.busy,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email, imeAction = ImeAction.Next),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = password,
                onValueChange = { password = it },
                label = { Text(stringResource(R.string.auth_password)) },
                singleLine = true,
                enabled = !state.busy,
                visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password, imeAction = ImeAction.Done),
                keyboardActions = KeyboardActions(onDone = { onSignIn(email, password) }),
                modifier = Modifier.fillMaxWidth(),
            )
            if (state.busy) LinearProgressIndicator(Modifier.fillMaxWidth())
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            Button(onClick = { onSignIn(email, password) }, enabled = !state.busy, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.auth_sign_in))
            }
            OutlinedButton(onClick = { onSignUp(email, password) }, enabled = !state.busy, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.auth_sign_up))
            }
        }
    }
}
