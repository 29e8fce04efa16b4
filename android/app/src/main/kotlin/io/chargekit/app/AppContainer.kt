package io.chargekit.app

import android.content.Context
import io.chargekit.ChargeKitException
import io.chargekit.app.nfc.NfcReader
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import java.io.File

/** Whether the core is ready. Screens wait for [Ready]; [Failed] carries the core's sentence. */
sealed interface CoreState {
    data object Opening : CoreState
    class Ready(val client: ChargeKitClient) : CoreState
    data class Failed(val message: String) : CoreState
}

/**
 * What every screen shares: the one [ChargeKitClient] and the [NfcReader].
 *
 * The core is opened on a background thread because opening reads the Android Keystore (the saved
 * sign-in) and the on-disk cache; doing that in `Application.onCreate` would block the first frame,
 * and a failure there would crash the app before it could say anything.
 */
class AppContainer(context: Context) {

    private val appContext = context.applicationContext

    val nfc = NfcReader(appContext)

    private val _core = MutableStateFlow<CoreState>(CoreState.Opening)
    val core: StateFlow<CoreState> = _core.asStateFlow()

    init {
        CoroutineScope(SupervisorJob() + Dispatchers.IO).launch {
            while (true) {
                try {
                    _core.value = CoreState.Ready(
                        ChargeKitClient.open(
                            backendUrl = BuildConfig.BACKEND_URL,
                            dataDir = File(appContext.filesDir, CORE_DIR),
                            secureStore = KeystoreSecureStore(appContext),
                        ),
                    )
                    return@launch
                } catch (e: ChargeKitException.Storage) {
                    // The secure store cannot answer now (the core changed nothing, see the
                    // README's secure store contract): say so, and open again in a moment.
                    _core.value = CoreState.Failed(e.message.orEmpty())
                    delay(OPEN_RETRY_MILLIS)
                } catch (e: ChargeKitException) {
                    _core.value = CoreState.Failed(e.message.orEmpty())
                    return@launch
                }
            }
        }
    }

    private companion object {
        /** Under filesDir; excluded from device transfer in res/xml/data_extraction_rules.xml. */
        const val CORE_DIR = "chargekit"
        const val OPEN_RETRY_MILLIS = 3_000L
    }
}
