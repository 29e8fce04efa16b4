package io.chargekit.presenter

import io.chargekit.CardsScreen
import io.chargekit.client.ChargeKitClient
import io.chargekit.client.states
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.StateFlow

/**
 * The "cards & contracts" screen: the core's [CardsScreen] in (the lists, a tapped card to add,
 * busy, the notice after the last command), the driver's taps out. Every check and rule is the
 * core's; a refusal is the notice `Failed` with the core's sentence.
 */
class CardsPresenter(client: ChargeKitClient, scope: CoroutineScope) {
    private val flow = client.cardsFlow()
    private val screen = ScreenState(scope, flow.states(), flow::state)
    val state: StateFlow<CardsScreen> = screen.state

    fun refresh(): Job = screen.intent { flow.refresh() }

    /** The UID of a tag the NFC reader saw (`Tag.id`): shown for the driver to confirm. */
    fun onCardTapped(uid: ByteArray) = screen.now { flow.cardTapped(uid) }

    fun onAddTappedCard(label: String? = null): Job = screen.intent { flow.addTappedCard(label) }

    fun onDiscardTappedCard() = screen.now { flow.discardTappedCard() }

    fun onCardTyped(uid: String, label: String? = null): Job = screen.intent { flow.addTypedCard(uid, label) }

    /** A contract's certificate file and the mobility operator's root. */
    fun onContractChosen(certificate: ByteArray, moRoot: ByteArray, label: String? = null): Job =
        screen.intent { flow.addContract(certificate, moRoot, label) }

    fun onBlockedChanged(idTag: String, blocked: Boolean): Job = screen.intent { flow.setBlocked(idTag, blocked) }

    fun onRemove(idTag: String): Job = screen.intent { flow.remove(idTag) }

    fun onDismissNotice() = screen.now { flow.dismissNotice() }
}
