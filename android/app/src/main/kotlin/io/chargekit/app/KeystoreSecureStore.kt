package io.chargekit.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import android.util.Log
import io.chargekit.SecureStore
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The core's [SecureStore] on Android, where it keeps the sign-in token.
 *
 * Each value is sealed with AES-256-GCM under a key generated inside the Android Keystore (the key
 * never leaves it; on most phones it lives in secure hardware). The sealed bytes — the random IV the
 * Keystore picked, then ciphertext and tag — are stored Base64-encoded in a private
 * SharedPreferences file. The entry's name is authenticated too, so a value copied under another
 * name does not open.
 *
 * The core calls these methods synchronously on its own threads and expects them to return, not
 * to throw (an exception would fail the core's call, not just this read). So a platform failure is
 * logged and the value treated as absent: at worst the driver signs in again. That is also what
 * happens when the key is gone, e.g. after the app's data was restored without it.
 */
class KeystoreSecureStore(context: Context) : SecureStore {

    private val prefs = context.getSharedPreferences(PREFS_NAME, Context.MODE_PRIVATE)

    /** Loaded (or created) on first use, off the main thread, once. */
    private val secretKey: SecretKey by lazy(::loadOrCreateKey)

    override fun get(key: String): ByteArray? {
        val stored = prefs.getString(key, null) ?: return null
        val value = guarded("open $key") { open(key, Base64.decode(stored, Base64.NO_WRAP)) }
        // Unreadable now means unreadable forever: drop it rather than fail on every start.
        if (value == null) delete(key)
        return value
    }

    override fun set(key: String, value: ByteArray) {
        val sealed = guarded("seal $key") { seal(key, value) }
        val editor = prefs.edit()
        // If sealing failed, an older value must not come back on the next start.
        if (sealed == null) editor.remove(key) else editor.putString(key, Base64.encodeToString(sealed, Base64.NO_WRAP))
        // commit, not apply: the core counts the secret as saved when this returns.
        if (!editor.commit()) Log.w(TAG, "could not write $key")
    }

    override fun delete(key: String) {
        if (!prefs.edit().remove(key).commit()) Log.w(TAG, "could not delete $key")
    }

    private fun seal(name: String, plaintext: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // The Keystore insists on choosing the IV itself: a fresh random one per encryption.
        cipher.init(Cipher.ENCRYPT_MODE, secretKey)
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        return cipher.iv + cipher.doFinal(plaintext)
    }

    private fun open(name: String, sealed: ByteArray): ByteArray {
        require(sealed.size > IV_BYTES) { "sealed value too short" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, secretKey, GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES))
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        return cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
    }

    private fun loadOrCreateKey(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (keyStore.getKey(KEY_ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(KEY_BITS)
                .build(),
        )
        return generator.generateKey()
    }

    /** Runs a Keystore or decoding step; its expected failures become `null`, logged without the value. */
    private inline fun <T : Any> guarded(what: String, block: () -> T): T? =
        try {
            block()
        } catch (e: Exception) {
            when (e) {
                // Bad tag, lost or unusable key, Keystore errors (some surface as ProviderException),
                // or stored text that is not Base64 (IllegalArgumentException).
                is GeneralSecurityException, is ProviderException, is IllegalArgumentException, is IOException -> {
                    Log.w(TAG, "secure store: cannot $what", e)
                    null
                }
                else -> throw e
            }
        }

    private companion object {
        const val TAG = "ChargeKit"
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val KEY_ALIAS = "chargekit"
        /** Excluded from backup and device transfer in res/xml/data_extraction_rules.xml. */
        const val PREFS_NAME = "chargekit_secrets"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val KEY_BITS = 256
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
