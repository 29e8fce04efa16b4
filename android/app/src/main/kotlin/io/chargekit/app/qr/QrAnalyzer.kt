package io.chargekit.app.qr

import android.os.SystemClock
import androidx.camera.core.ExperimentalGetImage
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import com.google.mlkit.vision.barcode.BarcodeScannerOptions
import com.google.mlkit.vision.barcode.BarcodeScanning
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.common.InputImage

/**
 * Finds QR codes in camera frames with ML Kit's bundled model (on the phone, no network needed,
 * which matters in an underground car park).
 *
 * A code is reported once while it stays in view, not once per frame. The same code is reported
 * again only after it has been out of sight for [FORGET_AFTER_MILLIS], so a driver can rescan the
 * charger after an error by pointing away and back.
 */
internal class QrAnalyzer(private val onPayload: (String) -> Unit) : ImageAnalysis.Analyzer, AutoCloseable {

    private val scanner = BarcodeScanning.getClient(
        BarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build(),
    )

    // Touched only on the main thread, where ML Kit delivers its results.
    private var lastPayload: String? = null
    private var lastSeenAt = 0L

    @androidx.annotation.OptIn(ExperimentalGetImage::class)
    override fun analyze(imageProxy: ImageProxy) {
        val frame = imageProxy.image
        if (frame == null) {
            imageProxy.close()
            return
        }
        scanner.process(InputImage.fromMediaImage(frame, imageProxy.imageInfo.rotationDegrees))
            .addOnSuccessListener { codes -> codes.firstNotNullOfOrNull { it.rawValue }?.let(::seen) }
            // The camera hands out the next frame only once this one is closed.
            .addOnCompleteListener { imageProxy.close() }
    }

    private fun seen(payload: String) {
        val now = SystemClock.elapsedRealtime()
        val isNew = payload != lastPayload || now - lastSeenAt > FORGET_AFTER_MILLIS
        lastPayload = payload
        lastSeenAt = now
        if (isNew) onPayload(payload)
    }

    override fun close() = scanner.close()

    private companion object {
        const val FORGET_AFTER_MILLIS = 2_000L
    }
}
