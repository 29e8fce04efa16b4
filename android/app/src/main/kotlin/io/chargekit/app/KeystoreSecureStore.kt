package io.chargekit.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Base64
import android.util.Log
import io.chargekit.SecureStore
import io.chargekit.SecureStoreException
import java.security.KeyStore
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The core's [SecureStore] on Android, where it keeps the sign-in token and the cache key.
 *
 * Each value is sealed with AES-256-GCM under a key generated inside the Android Keystore (the key
 * never leaves it; on most phones it lives in secure hardware). The sealed bytes — the random IV the
 * Keystore picked, then ciphertext and tag — are stored Base64-encoded in a private
 * SharedPreferences file. The entry's name is authenticated too, so a value copied under another
 * name does not open.
 *
 * How a failure is reported decides what the core does (see the README's secure store contract):
 * - [SecureStoreException.NotFound] when the value is gone for good: never stored, or the Keystore
 *   key that sealed it is missing or permanently invalidated, or the stored bytes can never open.
 *   Only then does the core make a new cache key.
 * - [SecureStoreException.Unavailable] for everything that may pass (Keystore errors, a busy
 *   secure element, a failed write). The core keeps its cache and queued stops and asks again.
 *
 * Nothing is ever deleted because a read failed: the core overwrites what it replaces.
 */
class KeystoreSecureStore(context: Context) : SecureStore {

    private val prefs = context.getSharedPreferences(PREFS_NAME, Context.MODE_PRIVATE)

    override fun get(key: String): ByteArray {
        val stored = prefs.getString(key, null) ?: throw SecureStoreException.NotFound()
        val sealed = try {
            Base64.decode(stored, Base64.NO_WRAP)
        } catch (e: IllegalArgumentException) {
            gone(key, e)
        }
        val secretKey = reading(key) { loadKey() } ?: gone(key, null)
        return reading(key) { open(secretKey, key, sealed) }
    }

    override fun set(key: String, value: ByteArray) {
        val sealed = reading(key) { seal(loadKey() ?: createKey(), key, value) }
        // commit, not apply: the core counts the secret as saved when this returns.
        if (!prefs.edit().putString(key, Base64.encodeToString(sealed, Base64.NO_WRAP)).commit()) {
            throw SecureStoreException.Unavailable("could not write $key")
        }
    }

    override fun delete(key: String) {
        if (!prefs.edit().remove(key).commit()) throw SecureStoreException.Unavailable("could not delete $key")
    }

    private fun seal(secretKey: SecretKey, name: String, plaintext: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        // The Keystore insists on choosing the IV itself: a fresh random one per encryption.
        cipher.init(Cipher.ENCRYPT_MODE, secretKey)
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        return cipher.iv + cipher.doFinal(plaintext)
    }

    private fun open(secretKey: SecretKey, name: String, sealed: ByteArray): ByteArray {
        if (sealed.size <= IV_BYTES) gone(name, null)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, secretKey, GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES))
        cipher.updateAAD(name.toByteArray(Charsets.UTF_8))
        return cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
    }

    /** The Keystore key, or null when there is none (never made, or removed with the app's keys). */
    private fun loadKey(): SecretKey? {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        return keyStore.getKey(KEY_ALIAS, null) as? SecretKey
    }

    private fun createKey(): SecretKey {
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

    /**
     * Runs a Keystore step and sorts its failure: permanent ones (an invalidated or unrecoverable
     * key, a tag that will never verify) are "not found", all others "unavailable".
     */
    private inline fun <T> reading(name: String, block: () -> T): T =
        try {
            block()
        } catch (e: SecureStoreException) {
            throw e
        } catch (e: KeyPermanentlyInvalidatedException) {
            gone(name, e)
        } catch (e: UnrecoverableKeyException) {
            gone(name, e)
        } catch (e: AEADBadTagException) {
            gone(name, e)
        } catch (e: Exception) {
            // KeyStoreException, ProviderException (some Keystore errors surface so), IOException…
            Log.w(TAG, "secure store: $name unavailable now", e)
            throw SecureStoreException.Unavailable(e.javaClass.simpleName + ": " + (e.message ?: "Keystore failure"))
        }

    private fun gone(name: String, cause: Exception?): Nothing {
        Log.w(TAG, "secure store: $name cannot be read any more", cause)
        throw SecureStoreException.NotFound()
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
