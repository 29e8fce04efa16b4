package io.chargekit.app.ui.live

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.app.R
import io.chargekit.app.ui.BackButton
import io.chargekit.app.ui.Loading
import io.chargekit.app.ui.label
import io.chargekit.app.ui.startedWith
import io.chargekit.client.ChargeKitClient
import io.chargekit.LiveSessionScreen
import io.chargekit.SessionPhase
import io.chargekit.app.ui.rememberFormats

/** The live-session destination; moves on to the receipt once the session is over. */
@Composable
fun LiveSessionRoute(client: ChargeKitClient, sessionId: String, onFinished: () -> Unit, onBack: () -> Unit) {
    val viewModel = viewModel { LiveSessionViewModel(client, sessionId) }
    val presenter = viewModel.presenter
    val state by presenter.state.collectAsStateWithLifecycle()
    val message by presenter.message.collectAsStateWithLifecycle()
    val finished = state?.finished == true
    LaunchedEffect(finished) {
        if (finished) onFinished()
    }
    LiveSessionContent(
        state = state,
        message = message,
        onStopTapped = presenter::onStopTapped,
        onMessageShown = presenter::onMessageShown,
        onBack = onBack,
    )
}

/** Live kWh, kW, cost and time of a session, and the stop button. `null` until the first update. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun LiveSessionContent(
    state: LiveSessionScreen?,
    message: String?,
    onStopTapped: () -> Unit,
    onMessageShown: () -> Unit,
    onBack: () -> Unit,
) {
    val snackbar = remember { SnackbarHostState() }
    LaunchedEffect(message) {
        if (message != null) {
            snackbar.showSnackbar(message)
            onMessageShown()
        }
    }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(state?.evseId ?: stringResource(R.string.live_title)) },
                navigationIcon = { BackButton(onBack) },
            )
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        if (state == null) {
            Loading(Modifier.padding(padding))
        } else {
            LiveContent(state, onStopTapped, Modifier.padding(padding))
        }
    }
}

@Composable
private fun LiveContent(state: LiveSessionScreen, onStopTapped: () -> Unit, modifier: Modifier) {
    val formats = rememberFormats()
    Column(
        modifier = modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        Text(
            stringResource(state.phase.label()),
            style = MaterialTheme.typography.titleMedium,
            color = if (state.phase == SessionPhase.FAILED) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.primary,
            textAlign = TextAlign.Center,
        )
        state.authMethod.startedWith()?.let {
            Text(stringResource(it), style = MaterialTheme.typography.bodyMedium, textAlign = TextAlign.Center)
        }
        Text(formats.quantity(state.energy), style = MaterialTheme.typography.displayMedium)
        Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.SpaceEvenly) {
            Figure(stringResource(R.string.live_power), formats.quantity(state.power))
            Figure(stringResource(R.string.live_cost), formats.money(state.cost))
            Figure(stringResource(R.string.live_elapsed), formats.quantity(state.elapsed))
        }
        state.failureReason?.let {
            Text(it, color = MaterialTheme.colorScheme.error, textAlign = TextAlign.Center)
        }
        Spacer(Modifier.height(8.dp))
        Button(
            onClick = onStopTapped,
            enabled = state.canStop,
            colors = ButtonDefaults.buttonColors(
                containerColor = MaterialTheme.colorScheme.error,
                contentColor = MaterialTheme.colorScheme.onError,
            ),
            modifier = Modifier.fillMaxWidth(),
        ) {
            Text(stringResource(R.string.live_stop))
        }
    }
}

@Composable
private fun Figure(label: String, value: String) {
    Column(horizontalAlignment = Alignment.CenterHorizontally) {
        Text(value, style = MaterialTheme.typography.titleLarge)
        Text(label, style = MaterialTheme.typography.labelMedium)
    }
}
