#if canImport(SwiftUI) && canImport(UIKit)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// Find a charger: scan its QR code, tap its NFC tag or type its EVSE ID; pick how to pay;
/// then start. Draws ``FindChargerModel`` and forwards taps to it.
public struct FindChargerView: View {
    @Bindable var model: FindChargerModel
    /// Charging was requested, or the driver opens the session going on: show it live (its id).
    let onStarted: (String) -> Void
    /// An NFC card with no charger record was read: its UID, for registering the card.
    let onCard: (Data) -> Void

    @State private var isScanningQR = false
    @State private var nfcMessage: String?

    public init(model: FindChargerModel, onStarted: @escaping (String) -> Void, onCard: @escaping (Data) -> Void = { _ in }) {
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
        .onChange(of: model.screen.step) { _, step in
            if case .started(let sessionID) = step { onStarted(sessionID) }
        }
        .task { await model.checkActiveSession() }
        .task { await model.follow() }
    }

    @ViewBuilder private var state: some View {
        switch model.screen.step {
        case .idle, .started:
            EmptyView()
        case .looking:
            ProgressView("Looking up the charger…")
        case .found(let charger):
            ChargerSummaryView(charger: charger)
            PaymentPicker(model: model)
            Button("Start charging") { Task { await model.start() } }
                .buttonStyle(.borderedProminent)
                .disabled(!charger.canStart)
        case .starting(let charger):
            ChargerSummaryView(charger: charger)
            ProgressView("Starting…")
        case .ongoing(let sessionID, let evseID, let authMethod):
            VStack(alignment: .leading, spacing: 4) {
                Text("You are charging at \(evseID).").font(.headline)
                if let startedWith = authMethod.startedWith { Text(startedWith).foregroundStyle(.secondary) }
            }
            Button("Show live session") { onStarted(sessionID) }
        case .failed(let message, let charger):
            if let charger { ChargerSummaryView(charger: charger) }
            Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
        }
    }

    #if canImport(CoreNFC)
    private func readNFC() async {
        nfcMessage = nil
        do {
            let reading = try await NFCReader().read(prompt: String(localized: "Hold your iPhone near the charger's tag."))
            if reading.ndefRecords.isEmpty {
                onCard(reading.uid)
            } else {
                await model.scanned(reading.ndefRecords)
            }
        } catch {
            nfcMessage = error.localizedDescription
        }
    }
    #endif
}

/// How to pay: the wallet (with its balance) and the driver's cards, the one the core checked.
struct PaymentPicker: View {
    @Bindable var model: FindChargerModel
    private let formats = Formats()

    var body: some View {
        ForEach(Array(model.screen.payment.options.enumerated()), id: \.offset) { _, option in
            Button {
                model.choose(option.payment)
            } label: {
                HStack {
                    Image(systemName: option.selected ? "largecircle.fill.circle" : "circle")
                    Text(option.method.title(formats))
                    Spacer()
                    if option.isDefault { Text("Default").font(.caption).foregroundStyle(.secondary) }
                }
            }
            .foregroundStyle(.primary)
        }
    }
}

/// A charger's ID, availability (the core's, "Offline" included) and prices.
struct ChargerSummaryView: View {
    let charger: ChargerScreen
    private let formats = Formats()

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(charger.evseId).font(.headline.monospaced())
            Label(charger.availability.title, systemImage: charger.availability == .offline ? "bolt.slash" : "bolt.circle")
                .foregroundStyle(charger.availability == .available ? .green : .secondary)
            ForEach(Array(charger.prices.enumerated()), id: \.offset) { _, price in
                HStack {
                    Spacer()
                    Text(formats.price(price)) + Text(price.per.title)
                    if let vat = price.vatPercent { Text("+ \(formats.percent(vat)) VAT").foregroundStyle(.secondary) }
                }
                .font(.subheadline)
            }
        }
    }
}
#endif
