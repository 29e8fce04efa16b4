import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// The ChargeKit Android library: the Rust core cross-compiled with cargo-ndk, its UniFFI Kotlin
// bindings (generated here, never committed) and the hand-written Kotlin layer in src/main/kotlin
// (ChargeKitClient and the presenters, which tests/kotlin also runs on a plain JVM).

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
    `maven-publish`
}

/** The Cargo workspace root: android/ is one of its directories. */
val cargoWorkspace: File = rootDir.parentFile

/** ABIs the core is built for: phones (arm64, 32-bit arm) and the x86_64 emulator. */
val coreAbis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

val androidMinSdk = 26

/** `release` (default) or `debug`: a debug core builds faster but is larger and slower. */
val rustProfile: String = providers.gradleProperty("chargekit.rustProfile").getOrElse("release")
require(rustProfile == "release" || rustProfile == "debug") {
    "chargekit.rustProfile must be release or debug, not \"$rustProfile\""
}

val jniLibsDir: File = layout.buildDirectory.dir("generated/jniLibs").get().asFile
val bindingsDir: File = layout.buildDirectory.dir("generated/uniffi/kotlin").get().asFile

android {
    namespace = "io.chargekit"
    compileSdk = 35

    defaultConfig {
        minSdk = androidMinSdk
        consumerProguardFiles("consumer-rules.pro")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // src/main/kotlin (the hand-written layer) is a default source directory; add what is generated.
    sourceSets["main"].kotlin.srcDir(bindingsDir)
    sourceSets["main"].jniLibs.srcDir(jniLibsDir)

    // What `publish` ships: the release AAR (the core under jni/<abi>/ for every ABI above, the
    // consumer R8 rules as proguard.txt), its sources and its API docs (Dokka, run by AGP).
    publishing {
        singleVariant("release") {
            withSourcesJar()
            withJavadocJar()
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The public API hands out Flows and the bindings' types, which extend JNA classes.
    api(libs.kotlinx.coroutines.android)
    api(libs.jna) {
        artifact { type = "aar" }
    }
    implementation(libs.androidx.annotation)
}

// Native build and binding generation. Both tasks always run and leave freshness to cargo, which
// knows the core's real inputs (every crate it depends on, Cargo.lock, the toolchain); a no-op
// cargo build takes about a second. They declare no outputs on purpose: Gradle would then demand an
// explicit dependency from every task that reads the source directories (lint, sources jars).

val buildRustCore by tasks.registering(Exec::class) {
    group = "chargekit"
    description = "Cross-compiles chargekit-core with cargo-ndk for $coreAbis into build/generated/jniLibs."
    workingDir = cargoWorkspace
    // cargo-ndk finds the NDK through ANDROID_NDK_HOME when set, else the newest one under the SDK
    // that this build uses (local.properties' sdk.dir or ANDROID_HOME).
    environment("ANDROID_HOME", androidComponents.sdkComponents.sdkDirectory.get().asFile.path)
    commandLine(
        buildList {
            addAll(listOf("cargo", "ndk"))
            coreAbis.forEach { addAll(listOf("-t", it)) }
            addAll(listOf("-P", androidMinSdk.toString(), "-o", jniLibsDir.path))
            addAll(listOf("build", "--locked", "-p", "chargekit-core"))
            // The workspace's size profile (Cargo.toml's [profile.mobile]): what a phone ships.
            if (rustProfile == "release") addAll(listOf("--profile", "mobile"))
        },
    )
}

val generateBindings by tasks.registering(Exec::class) {
    group = "chargekit"
    description = "Generates the core's Kotlin bindings (android = true) into build/generated/uniffi/kotlin."
    dependsOn(buildRustCore)
    workingDir = cargoWorkspace
    // Library mode reads the interface from the built library; any ABI's copy carries the same one.
    val library = jniLibsDir.resolve("arm64-v8a/libchargekit_core.so")
    val outDir = bindingsDir
    commandLine(
        "cargo", "run", "--locked", "--quiet", "-p", "uniffi-bindgen", "--",
        "generate", "--library", library.path,
        "--language", "kotlin",
        "--config", rootProject.file("uniffi-android.toml").path,
        "--out-dir", outDir.path,
        "--no-format",
    )
    // A renamed or removed type must not leave a stale file behind.
    doFirst { outDir.deleteRecursively() }
}

tasks.named("preBuild") {
    dependsOn(generateBindings)
}

// Maven coordinates and POM from gradle.properties (chargekit.publish.*), which
// android/scripts/publish-jvm-aar.py reads too: `./gradlew :chargekit:publish` writes the
// release into build/repo; `publishToMavenLocal` into ~/.m2 for an app on the same machine. A
// real release adds its repository (and signing) here or in an init script.
fun publishProperty(name: String): String = providers.gradleProperty("chargekit.publish.$name").get()

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = publishProperty("group")
            artifactId = publishProperty("artifact")
            version = publishProperty("version")
            afterEvaluate { from(components["release"]) }
            pom {
                name.set(publishProperty("name"))
                description.set(publishProperty("description"))
                licenses { license { name.set(publishProperty("license")) } }
            }
        }
    }
    repositories {
        maven {
            name = "build"
            url = uri(layout.buildDirectory.dir("repo"))
        }
    }
}
