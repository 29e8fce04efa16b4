package io.chargekit.app.ui.cards

import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.app.R
import io.chargekit.app.nfc.NfcReader
import io.chargekit.app.ui.BackButton
import io.chargekit.app.ui.Loading
import io.chargekit.client.ChargeKitClient
import io.chargekit.CardsNotice
import io.chargekit.CardsScreen as CardsScreenState
import io.chargekit.ListStatus
import io.chargekit.PendingCard
import io.chargekit.TokenRow
import io.chargekit.app.ui.rememberFormats
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.InputStream

/** What the screen forwards to the presenter. */
class CardsActions(
    val onAddTappedCard: (label: String) -> Unit,
    val onDiscardTappedCard: () -> Unit,
    val onCardTyped: (uid: String, label: String) -> Unit,
    val onContractChosen: (certificate: ByteArray, moRoot: ByteArray, label: String) -> Unit,
    val onBlockedChanged: (idTag: String, blocked: Boolean) -> Unit,
    val onRemove: (idTag: String) -> Unit,
    val onDismissNotice: () -> Unit,
    val onRetry: () -> Unit,
)

/**
 * The cards-and-contracts destination. While it is shown, every tag tapped on the phone is
 * offered as a card to add: its UID goes to the presenter as the reader gave it, and the core
 * reads it.
 */
@Composable
fun CardsRoute(client: ChargeKitClient, nfc: NfcReader, onBack: () -> Unit) {
    val viewModel = viewModel { CardsViewModel(client) }
    val presenter = viewModel.presenter
    val state by presenter.state.collectAsStateWithLifecycle()

    LaunchedEffect(presenter) {
        nfc.tagUids.collect { presenter.onCardTapped(it) }
    }

    CardsScreen(
        state = state,
        nfcAvailable = nfc.isAvailable,
        actions = CardsActions(
            onAddTappedCard = { presenter.onAddTappedCard(it) },
            onDiscardTappedCard = presenter::onDiscardTappedCard,
            onCardTyped = { uid, label -> presenter.onCardTyped(uid, label) },
            onContractChosen = { certificate, root, label -> presenter.onContractChosen(certificate, root, label) },
            onBlockedChanged = { idTag, blocked -> presenter.onBlockedChanged(idTag, blocked) },
            onRemove = { presenter.onRemove(it) },
            onDismissNotice = presenter::onDismissNotice,
            onRetry = { presenter.refresh() },
        ),
        onBack = onBack,
    )
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun CardsScreen(state: CardsScreenState, nfcAvailable: Boolean, actions: CardsActions, onBack: () -> Unit) {
    Scaffold(
        topBar = {
            TopAppBar(title = { Text(stringResource(R.string.cards_title)) }, navigationIcon = { BackButton(onBack) })
        },
    ) { padding ->
        val modifier = Modifier.padding(padding)
        when (val status = state.status) {
            ListStatus.Loading -> Loading(modifier)
            is ListStatus.Unavailable -> Unavailable(status.message, actions.onRetry, modifier)
            ListStatus.Loaded -> Ready(state, nfcAvailable, actions, modifier)
        }
    }
}

@Composable
private fun Ready(state: CardsScreenState, nfcAvailable: Boolean, actions: CardsActions, modifier: Modifier) {
    Column(
        modifier = modifier
            .fillMaxSize()
            .imePadding()
            .verticalScroll(rememberScrollState())
            .padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        state.notice?.let { Notice(it, actions.onDismissNotice) }
        state.pendingCard?.let { TappedCard(it, state.busy, actions) }

        Text(stringResource(R.string.cards_section), style = MaterialTheme.typography.titleMedium)
        if (state.cards.isEmpty()) {
            Text(stringResource(R.string.cards_empty), style = MaterialTheme.typography.bodyMedium)
        }
        state.cards.forEach { TokenRowView(it, state.busy, actions) }
        TypedCard(state.busy, actions.onCardTyped)
        if (nfcAvailable) {
            Text(stringResource(R.string.find_nfc_hint), style = MaterialTheme.typography.bodySmall)
        }

        HorizontalDivider()
        Text(stringResource(R.string.contracts_section), style = MaterialTheme.typography.titleMedium)
        if (state.contracts.isEmpty()) {
            Text(stringResource(R.string.contracts_empty), style = MaterialTheme.typography.bodyMedium)
        }
        state.contracts.forEach { TokenRowView(it, state.busy, actions) }
        ContractPicker(state.busy, actions.onContractChosen)
    }
}

@Composable
private fun TokenRowView(row: TokenRow, busy: Boolean, actions: CardsActions) {
    Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Column(Modifier.weight(1f)) {
            Text(row.label ?: row.idTag, style = MaterialTheme.typography.bodyLarge)
            if (row.label != null) Text(row.idTag, style = MaterialTheme.typography.bodySmall)
            val formats = rememberFormats()
            row.validUntil?.let { Text(stringResource(R.string.cards_valid_until, formats.date(it)), style = MaterialTheme.typography.bodySmall) }
        }
        Column(horizontalAlignment = Alignment.CenterHorizontally) {
            Switch(checked = row.blocked, onCheckedChange = { actions.onBlockedChanged(row.idTag, it) }, enabled = !busy)
            Text(stringResource(R.string.cards_blocked), style = MaterialTheme.typography.labelSmall)
        }
        IconButton(onClick = { actions.onRemove(row.idTag) }, enabled = !busy) {
            Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.cards_remove))
        }
    }
}

/** A card just tapped: its idTag as the core read it, a name, add or discard. */
@Composable
private fun TappedCard(card: PendingCard, busy: Boolean, actions: CardsActions) {
    var label by rememberSaveable(card.idTag) { mutableStateOf("") }
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.cards_tapped, card.idTag), style = MaterialTheme.typography.titleMedium)
            OutlinedTextField(
                value = label,
                onValueChange = { label = it },
                label = { Text(stringResource(R.string.cards_name)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Button(onClick = { actions.onAddTappedCard(label) }, enabled = !busy) { Text(stringResource(R.string.cards_add)) }
                TextButton(onClick = actions.onDiscardTappedCard) { Text(stringResource(R.string.cards_discard)) }
            }
        }
    }
}

/** A card added by the UID printed on it. */
@Composable
private fun TypedCard(busy: Boolean, onCardTyped: (uid: String, label: String) -> Unit) {
    var uid by rememberSaveable { mutableStateOf("") }
    var label by rememberSaveable { mutableStateOf("") }
    OutlinedTextField(
        value = uid,
        onValueChange = { uid = it },
        label = { Text(stringResource(R.string.cards_uid)) },
        placeholder = { Text(stringResource(R.string.cards_uid_example)) },
        singleLine = true,
        keyboardOptions = KeyboardOptions(capitalization = KeyboardCapitalization.Characters, autoCorrectEnabled = false),
        modifier = Modifier.fillMaxWidth(),
    )
    OutlinedTextField(
        value = label,
        onValueChange = { label = it },
        label = { Text(stringResource(R.string.cards_name)) },
        singleLine = true,
        modifier = Modifier.fillMaxWidth(),
    )
    Button(
        onClick = {
            onCardTyped(uid, label)
            uid = ""
            label = ""
        },
        enabled = uid.isNotBlank() && !busy,
    ) { Text(stringResource(R.string.cards_add)) }
}

/** A picked file: its name to show, its bytes for the core. */
private class PickedFile(val name: String, val bytes: ByteArray)

/** Largest certificate file read: a contract with two sub-CAs is a few kilobytes. */
private const val MAX_CERTIFICATE_FILE = 64 * 1024

/**
 * A contract: the certificate file the mobility operator sent and the operator's root, each
 * from the system's file picker. The core checks the chain; the screen only reads the files.
 */
@Composable
private fun ContractPicker(busy: Boolean, onContractChosen: (certificate: ByteArray, moRoot: ByteArray, label: String) -> Unit) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var certificate by remember { mutableStateOf<PickedFile?>(null) }
    var root by remember { mutableStateOf<PickedFile?>(null) }
    var label by rememberSaveable { mutableStateOf("") }

    fun read(uri: Uri?, into: (PickedFile) -> Unit) {
        uri ?: return
        scope.launch {
            val bytes = withContext(Dispatchers.IO) {
                runCatching {
                    context.contentResolver.openInputStream(uri)?.use { it.readAtMost(MAX_CERTIFICATE_FILE) }
                }.getOrNull()
            }
            // An unreadable file is passed on empty: the core says what is wrong with it.
            into(PickedFile(uri.lastPathSegment ?: uri.toString(), bytes ?: ByteArray(0)))
        }
    }

    val pickCertificate = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri -> read(uri) { certificate = it } }
    val pickRoot = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri -> read(uri) { root = it } }

    OutlinedButton(onClick = { pickCertificate.launch(arrayOf("*/*")) }, modifier = Modifier.fillMaxWidth()) {
        Text(certificate?.let { stringResource(R.string.contract_picked, it.name) } ?: stringResource(R.string.contract_pick_certificate))
    }
    OutlinedButton(onClick = { pickRoot.launch(arrayOf("*/*")) }, modifier = Modifier.fillMaxWidth()) {
        Text(root?.let { stringResource(R.string.contract_picked, it.name) } ?: stringResource(R.string.contract_pick_root))
    }
    OutlinedTextField(
        value = label,
        onValueChange = { label = it },
        label = { Text(stringResource(R.string.cards_name)) },
        singleLine = true,
        modifier = Modifier.fillMaxWidth(),
    )
    Button(
        onClick = {
            val picked = certificate
            val mo = root
            if (picked != null && mo != null) onContractChosen(picked.bytes, mo.bytes, label)
        },
        enabled = certificate != null && root != null && !busy,
    ) { Text(stringResource(R.string.contract_add)) }
}

/** Up to [limit] bytes of the stream: a larger file is cut short, and the core refuses it. */
private fun InputStream.readAtMost(limit: Int): ByteArray {
    val buffer = ByteArray(limit)
    var total = 0
    while (total < limit) {
        val read = read(buffer, total, limit - total)
        if (read < 0) break
        total += read
    }
    return buffer.copyOf(total)
}

@Composable
private fun Notice(notice: CardsNotice, onDismiss: () -> Unit) {
    val formats = rememberFormats()
    val text = when (notice) {
        is CardsNotice.CardAdded -> stringResource(R.string.notice_card_added, notice.idTag)
        is CardsNotice.ContractAdded -> stringResource(R.string.notice_contract_added, notice.emaid, notice.issuer, formats.date(notice.validUntil))
        is CardsNotice.Blocked -> stringResource(R.string.notice_blocked, notice.idTag)
        is CardsNotice.Unblocked -> stringResource(R.string.notice_unblocked, notice.idTag)
        is CardsNotice.Removed -> stringResource(R.string.notice_removed, notice.idTag)
        is CardsNotice.Failed -> notice.message
    }
    val colors = if (notice is CardsNotice.Failed) {
        CardDefaults.cardColors(
            containerColor = MaterialTheme.colorScheme.errorContainer,
            contentColor = MaterialTheme.colorScheme.onErrorContainer,
        )
    } else {
        CardDefaults.cardColors()
    }
    Card(Modifier.fillMaxWidth(), colors = colors) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(text, style = MaterialTheme.typography.bodyLarge)
            TextButton(onClick = onDismiss) { Text(stringResource(R.string.dismiss)) }
        }
    }
}

@Composable
private fun Unavailable(message: String, onRetry: () -> Unit, modifier: Modifier) {
    Column(
        modifier = modifier
            .fillMaxSize()
            .padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
    ) {
        Text(message, textAlign = TextAlign.Center)
        Button(onClick = onRetry) { Text(stringResource(R.string.retry)) }
    }
}
