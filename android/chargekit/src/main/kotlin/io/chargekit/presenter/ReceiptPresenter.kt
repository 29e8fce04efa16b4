package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.ReceiptScreen
import io.chargekit.client.ChargeKitClient

/**
 * Loads a session's receipt screen. The core decides it all: whether there is a signed receipt
 * to fetch (only once completed), its verdict, the lines with their billed quantity and VAT;
 * without one, the session's own figures marked unchecked.
 */
class ReceiptPresenter(private val client: ChargeKitClient) {
    /** @throws ChargeKitException when the session is neither reachable nor cached. */
    suspend fun load(sessionId: String): ReceiptScreen = client.receiptScreen(sessionId)
}
