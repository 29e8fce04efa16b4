package io.chargekit.app.nfc

import android.app.Activity
import android.content.Context
import android.nfc.NfcAdapter
import android.nfc.Tag
import android.nfc.tech.Ndef
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.asSharedFlow
import java.util.Locale

/**
 * Reads NFC tags while the app is in front, in reader mode: tags come to this app only, with no
 * system chooser and no other app opening.
 *
 * Two things come out of a tap. A charger's NDEF tag carries its EVSE ID as a URI or text record,
 * published on [records] for the find-a-charger presenter (the core parses it, like a QR code).
 * Every tag, charging cards included, has a UID, published on [tagUids] for card registration.
 *
 * Both are hot flows without replay: a tap counts only for whoever is listening at that moment,
 * so a tag tapped on another screen never starts a lookup later.
 */
class NfcReader(context: Context) : NfcAdapter.ReaderCallback {

    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(context)

    /** Whether this phone has NFC at all (it may still be switched off). */
    val isAvailable: Boolean get() = adapter != null

    private val _records = MutableSharedFlow<String>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** The first URI or text record of each NDEF tag tapped. */
    val records: SharedFlow<String> = _records.asSharedFlow()

    private val _tagUids = MutableSharedFlow<String>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** The UID of each tag tapped, as upper-case hex (e.g. `04A224B2C35E80`). */
    val tagUids: SharedFlow<String> = _tagUids.asSharedFlow()

    /** Call from `onResume`: reader mode belongs to a resumed activity. */
    fun enable(activity: Activity) {
        adapter?.enableReaderMode(activity, this, READER_FLAGS, null)
    }

    /** Call from `onPause`. */
    fun disable(activity: Activity) {
        adapter?.disableReaderMode(activity)
    }

    /** Runs on a binder thread; the flows hand the values over without blocking it. */
    override fun onTagDiscovered(tag: Tag) {
        _tagUids.tryEmit(tag.id.toHex())
        // Reader mode has already read the NDEF message; no I/O with the tag is needed here.
        Ndef.get(tag)?.cachedNdefMessage?.firstUriOrText()?.let { _records.tryEmit(it) }
    }

    private fun ByteArray.toHex(): String = joinToString("") { String.format(Locale.ROOT, "%02X", it) }

    private companion object {
        /** Every tag technology a charger sticker or a charging card may use. */
        const val READER_FLAGS = NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_NFC_B or
            NfcAdapter.FLAG_READER_NFC_F or NfcAdapter.FLAG_READER_NFC_V
    }
}
