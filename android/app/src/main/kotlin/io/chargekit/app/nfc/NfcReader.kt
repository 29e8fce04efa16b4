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

/**
 * Reads NFC tags while the app is in front, in reader mode: tags come to this app only, with no
 * system chooser and no other app opening.
 *
 * Two things come out of a tap, both as the bytes the tag gave: nothing here decodes them, the
 * core does. A tag's NDEF message (a charger's tag carries its EVSE ID in a URI or text record)
 * is published on [ndefMessages] for the find-a-charger presenter, which has the core read it.
 * Every tag, charging cards included, has a UID, published on [tagUids] for card registration
 * (the core turns it into the card's idTag).
 *
 * Both are hot flows without replay: a tap counts only for whoever is listening at that moment,
 * so a tag tapped on another screen never starts a lookup later.
 */
class NfcReader(context: Context) : NfcAdapter.ReaderCallback {

    private val adapter: NfcAdapter? = NfcAdapter.getDefaultAdapter(context)

    /** Whether this phone has NFC at all (it may still be switched off). */
    val isAvailable: Boolean get() = adapter != null

    private val _ndefMessages = MutableSharedFlow<ByteArray>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** The whole NDEF message of each NDEF tag tapped (`NdefMessage.toByteArray()`). */
    val ndefMessages: SharedFlow<ByteArray> = _ndefMessages.asSharedFlow()

    private val _tagUids = MutableSharedFlow<ByteArray>(extraBufferCapacity = 1, onBufferOverflow = BufferOverflow.DROP_OLDEST)

    /** The UID of each tag tapped, as the reader gave it (`Tag.id`). */
    val tagUids: SharedFlow<ByteArray> = _tagUids.asSharedFlow()

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
        _tagUids.tryEmit(tag.id)
        // Reader mode has already read the NDEF message; no I/O with the tag is needed here.
        Ndef.get(tag)?.cachedNdefMessage?.let { _ndefMessages.tryEmit(it.toByteArray()) }
    }

    private companion object {
        /** Every tag technology a charger sticker or a charging card may use. */
        const val READER_FLAGS = NfcAdapter.FLAG_READER_NFC_A or NfcAdapter.FLAG_READER_NFC_B or
            NfcAdapter.FLAG_READER_NFC_F or NfcAdapter.FLAG_READER_NFC_V
    }
}
