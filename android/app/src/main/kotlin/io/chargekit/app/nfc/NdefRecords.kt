package io.chargekit.app.nfc

import android.nfc.NdefMessage
import android.nfc.NdefRecord

/**
 * The first record of the message that reads as a string: a URI (URI or smart-poster record, or an
 * absolute URI) or a text record. Other records (MIME data, external types) are skipped. What the
 * string means is for the core to decide.
 */
internal fun NdefMessage.firstUriOrText(): String? = records.firstNotNullOfOrNull { it.uriOrText() }

private fun NdefRecord.uriOrText(): String? = when {
    tnf == NdefRecord.TNF_WELL_KNOWN && type.contentEquals(NdefRecord.RTD_TEXT) -> text()
    tnf == NdefRecord.TNF_WELL_KNOWN || tnf == NdefRecord.TNF_ABSOLUTE_URI -> toUri()?.toString()
    else -> null
}?.takeIf { it.isNotBlank() }

/**
 * Decodes an NFC Forum Text record: a status byte (bit 7 set for UTF-16, bits 5–0 the length of
 * the IANA language code), the language code, then the text.
 */
private fun NdefRecord.text(): String? {
    val bytes = payload
    if (bytes.isEmpty()) return null
    val status = bytes[0].toInt()
    val start = 1 + (status and 0x3F)
    if (start > bytes.size) return null
    val charset = if ((status and 0x80) != 0) Charsets.UTF_16 else Charsets.UTF_8
    return String(bytes, start, bytes.size - start, charset)
}
