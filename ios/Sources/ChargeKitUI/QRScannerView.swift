#if canImport(SwiftUI) && canImport(UIKit) && canImport(AVFoundation)
@preconcurrency import AVFoundation
import SwiftUI
import UIKit

/// The camera, reporting the first QR code it sees (once). The payload goes to the core as
/// it is: reading an EVSE ID out of it is the core's job. Needs `NSCameraUsageDescription`.
public struct QRScannerView: UIViewControllerRepresentable {
    private let onCode: @MainActor (String) -> Void

    public init(onCode: @escaping @MainActor (String) -> Void) {
        self.onCode = onCode
    }

    public func makeUIViewController(context: Context) -> QRScannerViewController {
        QRScannerViewController(onCode: onCode)
    }

    public func updateUIViewController(_ controller: QRScannerViewController, context: Context) {}
}

/// Shows the camera's picture and runs the capture while on screen.
public final class QRScannerViewController: UIViewController {
    private let camera: QRCamera
    private var preview: AVCaptureVideoPreviewLayer?

    init(onCode: @escaping @MainActor (String) -> Void) {
        camera = QRCamera { payload in
            Task { @MainActor in onCode(payload) }
        }
        super.init(nibName: nil, bundle: nil)
    }

    @available(*, unavailable)
    required init?(coder: NSCoder) { fatalError("init(coder:) is not used") }

    public override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        let preview = AVCaptureVideoPreviewLayer(session: camera.session)
        preview.videoGravity = .resizeAspectFill
        view.layer.addSublayer(preview)
        self.preview = preview
    }

    public override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    public override func viewWillAppear(_ animated: Bool) {
        super.viewWillAppear(animated)
        Task {
            if await AVCaptureDevice.requestAccess(for: .video) {
                camera.start()
            } else {
                showNoAccess()
            }
        }
    }

    public override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        camera.stop()
    }

    private func showNoAccess() {
        let label = UILabel()
        label.text = String(localized: "ChargeKit may not use the camera. Allow it in Settings, or type the charger's ID.")
        label.textColor = .white
        label.numberOfLines = 0
        label.textAlignment = .center
        label.frame = view.bounds.insetBy(dx: 24, dy: 24)
        label.autoresizingMask = [.flexibleWidth, .flexibleHeight]
        view.addSubview(label)
    }
}

/// The capture session and its QR output. Starting and stopping block, so they run on the
/// camera's own serial queue, as Apple's AVCam sample does.
///
/// `@unchecked Sendable`: after `init`, `session`'s configuration and the `configured` and
/// `reported` flags are only touched on `queue` (the metadata delegate is called there too);
/// the preview layer only reads the session from the main thread, which AVFoundation allows.
final class QRCamera: NSObject, AVCaptureMetadataOutputObjectsDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "io.chargekit.qr-camera")
    private let onCode: @Sendable (String) -> Void
    private var configured = false
    private var reported = false

    init(onCode: @escaping @Sendable (String) -> Void) {
        self.onCode = onCode
    }

    func start() {
        queue.async { [self] in
            if !configured { configured = configure() }
            if configured && !session.isRunning { session.startRunning() }
        }
    }

    func stop() {
        queue.async { [self] in
            if session.isRunning { session.stopRunning() }
        }
    }

    func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput metadataObjects: [AVMetadataObject], from connection: AVCaptureConnection) {
        guard !reported,
              let payload = metadataObjects.lazy.compactMap({ ($0 as? AVMetadataMachineReadableCodeObject)?.stringValue }).first
        else { return }
        reported = true
        onCode(payload)
    }

    /// Back camera in, QR codes out; false when this device has no usable camera.
    private func configure() -> Bool {
        guard let camera = AVCaptureDevice.default(for: .video),
              let input = try? AVCaptureDeviceInput(device: camera)
        else { return false }
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        let output = AVCaptureMetadataOutput()
        guard session.canAddInput(input), session.canAddOutput(output) else { return false }
        session.addInput(input)
        session.addOutput(output)
        output.setMetadataObjectsDelegate(self, queue: queue)
        output.metadataObjectTypes = [.qr]
        return true
    }
}
#endif
