package io.chargekit.app.ui

import android.net.Uri
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavBackStackEntry
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import io.chargekit.AuthState
import io.chargekit.app.AppContainer
import io.chargekit.app.CoreState
import io.chargekit.app.R
import io.chargekit.app.nfc.NfcReader
import io.chargekit.app.ui.auth.AuthRoute
import io.chargekit.app.ui.cards.CardsRoute
import io.chargekit.app.ui.find.FindChargerRoute
import io.chargekit.app.ui.history.HistoryRoute
import io.chargekit.app.ui.live.LiveSessionRoute
import io.chargekit.app.ui.receipt.ReceiptRoute
import io.chargekit.app.ui.wallet.WalletRoute
import io.chargekit.client.ChargeKitClient

/** The whole UI: a spinner while the core opens, then the screens. */
@Composable
fun ChargeKitApp(container: AppContainer) {
    val core by container.core.collectAsStateWithLifecycle()
    Surface(Modifier.fillMaxSize(), color = MaterialTheme.colorScheme.background) {
        when (val state = core) {
            CoreState.Opening -> Loading()
            is CoreState.Failed -> FullScreenMessage(stringResource(R.string.core_failed, state.message))
            is CoreState.Ready -> Screens(state.client, container.nfc)
        }
    }
}

private object Routes {
    const val AUTH = "auth"
    const val FIND = "find"
    const val HISTORY = "history"
    const val CARDS = "cards"
    const val WALLET = "wallet"
    const val SESSION_ID = "sessionId"
    const val LIVE = "live/{$SESSION_ID}"
    const val RECEIPT = "receipt/{$SESSION_ID}"

    fun live(sessionId: String) = "live/${Uri.encode(sessionId)}"
    fun receipt(sessionId: String) = "receipt/${Uri.encode(sessionId)}"

    val sessionArgument = listOf(navArgument(SESSION_ID) { type = NavType.StringType })

    fun sessionId(entry: NavBackStackEntry): String = requireNotNull(entry.arguments?.getString(SESSION_ID))
}

/**
 * Sign in → find a charger → live session → receipt; history, cards & contracts and the wallet
 * from the find screen. Each
 * destination gets its own ViewModel, cleared when the destination leaves the back stack (which
 * is what ends a live session's subscription).
 */
@Composable
private fun Screens(client: ChargeKitClient, nfc: NfcReader) {
    val nav = rememberNavController()
    val start = remember(client) { if (client.account != null) Routes.FIND else Routes.AUTH }
    // A sign-in that ends anywhere (signed out, or revoked by the backend when the core refreshed
    // it) leads back to sign-in, with nothing behind it on the back stack.
    val toSignIn = {
        nav.navigate(Routes.AUTH) {
            popUpTo(nav.graph.id) { inclusive = true }
            launchSingleTop = true
        }
    }
    val auth by remember(client) { client.authState }.collectAsStateWithLifecycle(initialValue = null)
    LaunchedEffect(auth) {
        val signedOut = auth is AuthState.SignedOut || auth is AuthState.Revoked
        if (signedOut && nav.currentDestination?.route != Routes.AUTH) toSignIn()
    }

    NavHost(navController = nav, startDestination = start) {
        composable(Routes.AUTH) {
            AuthRoute(
                client = client,
                onSignedIn = { nav.navigate(Routes.FIND) { popUpTo(Routes.AUTH) { inclusive = true } } },
            )
        }
        composable(Routes.FIND) {
            FindChargerRoute(
                client = client,
                nfc = nfc,
                onOpenSession = { nav.navigate(Routes.live(it)) },
                onOpenHistory = { nav.navigate(Routes.HISTORY) },
                onOpenCards = { nav.navigate(Routes.CARDS) },
                onOpenWallet = { nav.navigate(Routes.WALLET) },
                onSignedOut = toSignIn,
            )
        }
        composable(Routes.LIVE, arguments = Routes.sessionArgument) { entry ->
            val sessionId = Routes.sessionId(entry)
            LiveSessionRoute(
                client = client,
                sessionId = sessionId,
                // The receipt replaces the live screen: back from it goes to where charging began.
                onFinished = { nav.navigate(Routes.receipt(sessionId)) { popUpTo(Routes.LIVE) { inclusive = true } } },
                onBack = { nav.popBackStack() },
            )
        }
        composable(Routes.RECEIPT, arguments = Routes.sessionArgument) { entry ->
            ReceiptRoute(client = client, sessionId = Routes.sessionId(entry), onDone = { nav.popBackStack() })
        }
        composable(Routes.CARDS) {
            CardsRoute(client = client, nfc = nfc, onBack = { nav.popBackStack() })
        }
        composable(Routes.WALLET) {
            WalletRoute(client = client, onBack = { nav.popBackStack() })
        }
        composable(Routes.HISTORY) {
            HistoryRoute(
                client = client,
                onOpenReceipt = { nav.navigate(Routes.receipt(it)) },
                onBack = { nav.popBackStack() },
            )
        }
    }
}
