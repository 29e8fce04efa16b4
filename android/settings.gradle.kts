// The Android side of ChargeKit: the `chargekit` library (UniFFI bindings of the Rust core, built
// here with cargo-ndk, plus the hand-written Kotlin API and presenters) and the Compose `app`.
// This directory sits inside the Cargo workspace; the library's tasks run cargo from its root.

pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "ChargeKit"
include(":chargekit", ":app")
