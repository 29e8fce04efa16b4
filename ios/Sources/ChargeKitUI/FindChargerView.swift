#if canImport(SwiftUI) && canImport(UIKit)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// Find a charger: scan its QR code, tap its NFC tag or type its EVSE ID; then start.
/// Draws ``FindChargerModel`` and forwards taps to it.
public struct FindChargerView: View {
    @Bindable var model: FindChargerModel
    /// Charging was requested: show the live session.
    let onStarted: (SessionInfo) -> Void
    /// An NFC card with no charger record was read: its UID, for registering the card.
    let onCard: (Data) -> Void

    @State private var isScanningQR = false
    @State private var nfcMessage: String?

    public init(model: FindChargerModel, onStarted: @escaping (SessionInfo) -> Void, onCard: @escaping (Data) -> Void = { _ in }) {
        self.model = model
        self.onStarted = onStarted
        self.onCard = onCard
    }

    public var body: some View {
        Form {
            Section {
                Button("Scan the QR code", systemImage: "qrcode.viewfinder") { isScanningQR = true }
                #if canImport(CoreNFC)
                if NFCReader.isAvailable {
                    Button("Hold the phone to the NFC tag", systemImage: "wave.3.right") {
                        Task { await readNFC() }
                    }
                }
                #endif
                TextField("EVSE ID, e.g. DE*ABC*E123456*1", text: $model.typedID)
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                    .onSubmit { Task { await model.submitTypedID() } }
            }
            if let nfcMessage {
                Section { Text(nfcMessage).foregroundStyle(.secondary) }
            }
            Section { state }
        }
        .navigationTitle("Find a charger")
        .sheet(isPresented: $isScanningQR) {
            QRScannerView { payload in
                isScanningQR = false
                Task { await model.scanned(payload) }
            }
            .ignoresSafeArea()
        }
        .onChange(of: model.state) { _, state in
            if case .started(let session) = state { onStarted(session) }
        }
    }

    @ViewBuilder private var state: some View {
        switch model.state {
        case .idle, .started:
            EmptyView()
        case .looking:
            ProgressView("Looking up the charger…")
        case .found(let charger):
            ChargerSummaryView(charger: charger)
            Button("Start charging") { Task { await model.start() } }
                .buttonStyle(.borderedProminent)
                .disabled(!charger.canStart)
        case .starting(let charger):
            ChargerSummaryView(charger: charger)
            ProgressView("Starting…")
        case .failed(let message):
            Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
        }
    }

    #if canImport(CoreNFC)
    private func readNFC() async {
        nfcMessage = nil
        do {
            switch try await NFCReader().read(prompt: String(localized: "Hold your iPhone near the charger's tag.")) {
            case .chargerTag(let text):
                await model.scanned(text)
            case .card(let uid):
                onCard(uid)
            }
        } catch {
            nfcMessage = error.localizedDescription
        }
    }
    #endif
}

/// A charger's ID, status and prices.
struct ChargerSummaryView: View {
    let charger: FindChargerModel.Charger

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(charger.evseID).font(.headline.monospaced())
            Label(charger.isOnline ? charger.status : String(localized: "Offline"), systemImage: charger.isOnline ? "bolt.circle" : "bolt.slash")
                .foregroundStyle(charger.isOnline ? .green : .secondary)
            ForEach(Array(charger.prices.enumerated()), id: \.offset) { _, price in
                HStack {
                    Text(price.kind.title)
                    Spacer()
                    Text(price.amount) + Text(price.kind.perUnit)
                    if let vat = price.vat { Text("+ \(vat) VAT").foregroundStyle(.secondary) }
                }
                .font(.subheadline)
            }
        }
    }
}
#endif
