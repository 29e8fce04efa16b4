package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.TokenInfo
import io.chargekit.TokenKind
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** The "cards & contracts" settings screen. */
sealed interface CardsState {
    data object Loading : CardsState

    data class Ready(
        /** RFID cards, as the backend lists them. */
        val cards: List<TokenRow>,
        /** Plug & Charge contracts. */
        val contracts: List<TokenRow>,
        /** A card read by NFC, waiting for the driver to add it (with a name). */
        val pendingCard: PendingCard? = null,
        /** A command is under way: disable the buttons. */
        val busy: Boolean = false,
        val notice: CardsNotice? = null,
    ) : CardsState

    /** The list could not be loaded (e.g. no network): the core's sentence, and a retry. */
    data class Unavailable(val message: String) : CardsState
}

data class TokenRow(
    /** What the charger sees: the card's UID or the contract's EMAID. */
    val idTag: String,
    val kind: TokenKind,
    val label: String?,
    val blocked: Boolean,
    /** A contract's end of validity, as a date. */
    val validUntil: String?,
)

/** A card tapped on the phone: [idTag] is the core's reading of its UID. */
class PendingCard(val idTag: String, internal val uid: ByteArray) {
    override fun equals(other: Any?) = other is PendingCard && other.idTag == idTag
    override fun hashCode() = idTag.hashCode()
    override fun toString() = "PendingCard($idTag)"
}

/** What the last command did, for a snackbar or a banner. */
sealed interface CardsNotice {
    data class CardAdded(val idTag: String) : CardsNotice

    /** The contract the core checked and registered. */
    data class ContractAdded(val emaid: String, val issuer: String, val validUntil: String) : CardsNotice

    data class Blocked(val idTag: String) : CardsNotice
    data class Unblocked(val idTag: String) : CardsNotice
    data class Removed(val idTag: String) : CardsNotice

    /** The core's sentence for the driver, e.g. why a contract was refused. */
    data class Failed(val message: String) : CardsNotice
}

/**
 * Lists the driver's cards and contracts and registers, blocks and removes them. Every check —
 * a card UID's length, a contract's chain to the mobility operator's root, its dates and EMAID —
 * is the core's; a refusal comes back as [CardsNotice.Failed] with the core's sentence.
 * Plain Kotlin: the Compose screen renders [state] and forwards taps.
 */
class CardsPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
) {
    private val _state = MutableStateFlow<CardsState>(CardsState.Loading)
    val state: StateFlow<CardsState> = _state.asStateFlow()

    /** One command at a time, so the list shown is the one after the last command. */
    private val commands = Mutex()

    fun refresh(): Job = scope.launch {
        commands.withLock { reload(notice = (state.value as? CardsState.Ready)?.notice) }
    }

    /** The UID of a tag the NFC reader saw (`Tag.id`): shown for the driver to confirm. */
    fun onCardTapped(uid: ByteArray) {
        val idTag = try {
            client.cardIdTag(uid)
        } catch (e: ChargeKitException) {
            notify(CardsNotice.Failed(e.message.orEmpty()))
            return
        }
        _state.update { (it as? CardsState.Ready)?.copy(pendingCard = PendingCard(idTag, uid.copyOf()), notice = null) ?: it }
    }

    /** Adds the card tapped last, with an optional name. */
    fun onAddTappedCard(label: String? = null): Job? {
        val pending = (state.value as? CardsState.Ready)?.pendingCard ?: return null
        return command({ CardsNotice.CardAdded(client.registerCard(pending.uid, label).idTag) }, clearPending = true)
    }

    fun onDiscardTappedCard() {
        _state.update { (it as? CardsState.Ready)?.copy(pendingCard = null) ?: it }
    }

    /** Adds a card by the UID printed on it, as typed. */
    fun onCardTyped(uid: String, label: String? = null): Job =
        command({ CardsNotice.CardAdded(client.registerCard(uid, label).idTag) })

    /** Adds a Plug & Charge contract: its certificate file and the mobility operator's root. */
    fun onContractChosen(certificate: ByteArray, moRoot: ByteArray, label: String? = null): Job = command({
        val contract = client.registerContract(certificate, moRoot, label)
        CardsNotice.ContractAdded(contract.emaid, contract.issuer, formats.date(contract.notAfterEpochSeconds))
    })

    fun onBlockedChanged(idTag: String, blocked: Boolean): Job = command({
        val token = client.setTokenBlocked(idTag, blocked)
        if (token.blocked) CardsNotice.Blocked(token.idTag) else CardsNotice.Unblocked(token.idTag)
    })

    fun onRemove(idTag: String): Job = command({
        client.removeToken(idTag)
        CardsNotice.Removed(idTag)
    })

    fun onDismissNotice() {
        _state.update { (it as? CardsState.Ready)?.copy(notice = null) ?: it }
    }

    private fun command(run: suspend () -> CardsNotice, clearPending: Boolean = false): Job = scope.launch {
        commands.withLock {
            _state.update { (it as? CardsState.Ready)?.copy(busy = true, notice = null) ?: it }
            val notice = try {
                run()
            } catch (e: ChargeKitException) {
                CardsNotice.Failed(e.message.orEmpty())
            }
            if (clearPending && notice !is CardsNotice.Failed) onDiscardTappedCard()
            reload(notice)
        }
    }

    /** Loads the list; a failure keeps the list shown, if any, and says why. */
    private suspend fun reload(notice: CardsNotice?) {
        val pending = (state.value as? CardsState.Ready)?.pendingCard
        _state.value = try {
            val screen = client.cardsScreen()
            CardsState.Ready(
                cards = screen.cards.map(::row),
                contracts = screen.contracts.map(::row),
                pendingCard = pending,
                notice = notice,
            )
        } catch (e: ChargeKitException) {
            when (val shown = state.value) {
                is CardsState.Ready -> shown.copy(busy = false, notice = notice ?: CardsNotice.Failed(e.message.orEmpty()))
                else -> CardsState.Unavailable(e.message.orEmpty())
            }
        }
    }

    private fun notify(notice: CardsNotice) {
        _state.update { (it as? CardsState.Ready)?.copy(notice = notice) ?: it }
    }

    private fun row(token: TokenInfo) = TokenRow(
        idTag = token.idTag,
        kind = token.kind,
        label = token.label,
        blocked = token.blocked,
        validUntil = token.expiresAt?.let(formats::date),
    )
}
