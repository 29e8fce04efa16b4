import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The ChargeKit Android app: Compose screens over the chargekit library's presenters, plus the
// platform services the core cannot have (camera, NFC, Android Keystore).

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

/** The driver API. The default is the development machine as the emulator sees it. */
val backendUrl: String = providers.gradleProperty("chargekit.backendUrl").getOrElse("http://10.0.2.2:8180")

/** The currency the wallet screen offers top-ups in (ISO 4217): the market the app serves. */
val walletCurrency: String = providers.gradleProperty("chargekit.walletCurrency").getOrElse("EUR")

android {
    namespace = "io.chargekit.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "io.chargekit.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"

        buildConfigField("String", "BACKEND_URL", "\"$backendUrl\"")
        buildConfigField("String", "WALLET_CURRENCY", "\"$walletCurrency\"")

        // Only the ABIs the core is built for: JNA ships more (x86), which would install and
        // then fail to load the core.
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            // The chargekit library brings its own keep rules for JNA and the bindings.
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":chargekit"))

    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.foundation)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.core)

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.navigation.compose)

    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
    implementation(libs.mlkit.barcode.scanning)
}
