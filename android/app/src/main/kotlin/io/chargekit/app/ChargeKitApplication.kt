package io.chargekit.app

import android.app.Application

/**
 * Holds the [AppContainer] for the life of the process. The core it opens is never closed: it is
 * the app's one connection to the backend and its offline cache, and goes away with the process.
 */
class ChargeKitApplication : Application() {

    lateinit var container: AppContainer
        private set

    override fun onCreate() {
        super.onCreate()
        container = AppContainer(this)
    }
}
