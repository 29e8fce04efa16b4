package io.chargekit.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import io.chargekit.app.ui.ChargeKitApp
import io.chargekit.app.ui.theme.ChargeKitTheme

/**
 * The app's only activity: draws edge to edge and reads NFC tags while it is in front (reader
 * mode belongs to a resumed activity, so it is switched on and off with the activity).
 */
class MainActivity : ComponentActivity() {

    private val container: AppContainer
        get() = (application as ChargeKitApplication).container

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        setContent {
            ChargeKitTheme {
                ChargeKitApp(container)
            }
        }
    }

    override fun onResume() {
        super.onResume()
        container.nfc.enable(this)
    }

    override fun onPause() {
        container.nfc.disable(this)
        super.onPause()
    }
}
