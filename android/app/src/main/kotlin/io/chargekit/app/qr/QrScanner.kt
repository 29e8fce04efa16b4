package io.chargekit.app.qr

import android.Manifest
import android.content.Context
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import io.chargekit.app.R
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors

/**
 * The back camera's picture with QR codes read from it; [onQrScanned] gets each code's text once
 * (see [QrAnalyzer]). Asks for the camera permission only when the driver taps to allow it.
 */
@Composable
fun QrScanner(onQrScanned: (String) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    var granted by remember { mutableStateOf(context.hasCameraPermission()) }
    val requestPermission = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted = it }

    if (granted) {
        CameraPreview(onQrScanned, modifier)
    } else {
        Message(stringResource(R.string.camera_rationale), modifier) {
            Button(onClick = { requestPermission.launch(Manifest.permission.CAMERA) }) {
                Text(stringResource(R.string.camera_allow))
            }
        }
    }
}

@Composable
private fun CameraPreview(onQrScanned: (String) -> Unit, modifier: Modifier) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val currentOnQrScanned by rememberUpdatedState(onQrScanned)
    var unavailable by remember { mutableStateOf(false) }
    val previewView = remember {
        PreviewView(context).apply {
            // A TextureView: it moves and clips with the Compose layout it sits in.
            implementationMode = PreviewView.ImplementationMode.COMPATIBLE
            scaleType = PreviewView.ScaleType.FILL_CENTER
        }
    }

    DisposableEffect(lifecycleOwner) {
        val analyzer = QrAnalyzer { currentOnQrScanned(it) }
        val analysisThread = Executors.newSingleThreadExecutor()
        val preview = Preview.Builder().build()
        preview.setSurfaceProvider(previewView.surfaceProvider)
        val analysis = ImageAnalysis.Builder()
            // Decode the newest frame; older ones are worth nothing to a scanner.
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .build()
        analysis.setAnalyzer(analysisThread, analyzer)

        val providerFuture = ProcessCameraProvider.getInstance(context)
        var disposed = false
        providerFuture.addListener(
            {
                if (disposed) return@addListener
                try {
                    // Bound to the lifecycle: the camera stops in the background and resumes after.
                    providerFuture.get().bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
                } catch (e: ExecutionException) {
                    unavailable = true // CameraX could not start (no camera service)
                } catch (e: IllegalArgumentException) {
                    unavailable = true // no back camera
                } catch (e: IllegalStateException) {
                    unavailable = true // lifecycle already destroyed, or the camera is taken
                }
            },
            ContextCompat.getMainExecutor(context),
        )

        onDispose {
            disposed = true
            analysis.clearAnalyzer()
            if (providerFuture.isDone) {
                try {
                    providerFuture.get().unbind(preview, analysis)
                } catch (e: ExecutionException) {
                    // Never started, so nothing to unbind.
                }
            }
            analysisThread.shutdown()
            analyzer.close()
        }
    }

    if (unavailable) {
        Message(stringResource(R.string.camera_unavailable), modifier)
    } else {
        AndroidView(factory = { previewView }, modifier = modifier)
    }
}

@Composable
private fun Message(text: String, modifier: Modifier, action: @Composable () -> Unit = {}) {
    Box(modifier, contentAlignment = Alignment.Center) {
        Column(
            modifier = Modifier.padding(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(text, style = MaterialTheme.typography.bodyMedium, textAlign = TextAlign.Center)
            action()
        }
    }
}

private fun Context.hasCameraPermission(): Boolean =
    ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED
