#if canImport(SwiftUI) && canImport(UIKit)
import ChargeKit
import ChargeKitModels
import SwiftUI
import UniformTypeIdentifiers

/// Cards and contracts: the driver's RFID cards (added by holding one to the phone or typing
/// its printed UID) and Plug & Charge contracts (added from the certificate file and the
/// mobility operator's root), each blockable and removable. Draws ``CardsModel``; every check
/// is the core's, and a refusal shows the core's sentence.
public struct CardsView: View {
    @Bindable var model: CardsModel

    @State private var nfcMessage: String?
    @State private var isPicking = false
    @State private var picking = PickedFile.Role.certificate
    @State private var certificate: PickedFile?
    @State private var root: PickedFile?
    private let formats = Formats()

    public init(model: CardsModel) {
        self.model = model
    }

    public var body: some View {
        Form {
            if let notice = model.screen.notice {
                Section { NoticeView(notice: notice, formats: formats) { model.dismissNotice() } }
            }
            if case .unavailable(let message) = model.screen.status {
                Section {
                    Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
                    Button("Try again") { Task { await model.refresh() } }
                }
            }
            if let pending = model.screen.pendingCard {
                Section("Card \(pending.idTag)") {
                    TextField("Name (optional)", text: $model.typedLabel)
                    Button("Add card") { Task { await model.addTappedCard() } }.disabled(model.screen.busy)
                    Button("Discard", role: .cancel) { model.discardTappedCard() }
                }
            }
            Section("Charging cards") {
                ForEach(model.screen.cards, id: \.idTag) { TokenRowView(token: $0, model: model) }
                #if canImport(CoreNFC)
                if NFCReader.isAvailable {
                    Button("Hold a card to the phone", systemImage: "wave.3.right") { Task { await readCard() } }
                }
                #endif
                if let nfcMessage { Text(nfcMessage).foregroundStyle(.secondary) }
                TextField("Card number (UID), e.g. 04:A2:2B:1A", text: $model.typedUID)
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                Button("Add card") { Task { await model.addTypedCard() } }
                    .disabled(model.typedUID.isEmpty || model.screen.busy)
            }
            Section("Plug & Charge contracts") {
                ForEach(model.screen.contracts, id: \.idTag) { TokenRowView(token: $0, model: model) }
                Button(certificate.map { "✓ \($0.name)" } ?? String(localized: "Choose the contract certificate")) { pick(.certificate) }
                Button(root.map { "✓ \($0.name)" } ?? String(localized: "Choose the mobility operator's root")) { pick(.root) }
                TextField("Name (optional)", text: $model.typedLabel)
                Button("Add contract") {
                    guard let certificate, let root else { return }
                    Task { await model.addContract(certificate: certificate.data, moRoot: root.data) }
                }
                .disabled(certificate == nil || root == nil || model.screen.busy)
            }
        }
        .navigationTitle("Cards & contracts")
        .fileImporter(isPresented: $isPicking, allowedContentTypes: [.x509Certificate, .data]) { result in
            guard case .success(let url) = result else { return }
            let file = PickedFile(url: url)
            switch picking {
            case .certificate: certificate = file
            case .root: root = file
            }
        }
        .task { await model.refresh() }
        .task { await model.follow() }
    }

    private func pick(_ role: PickedFile.Role) {
        picking = role
        isPicking = true
    }

    #if canImport(CoreNFC)
    private func readCard() async {
        nfcMessage = nil
        do {
            let reading = try await NFCReader().read(prompt: String(localized: "Hold your charging card near the iPhone."))
            model.cardTapped(uid: reading.uid)
        } catch {
            nfcMessage = error.localizedDescription
        }
    }
    #endif
}

/// A file from the file picker: its name to show, its bytes for the core (empty when it could
/// not be read: the core then says what is wrong with it).
private struct PickedFile {
    enum Role { case certificate, root }

    let name: String
    let data: Data

    init(url: URL) {
        let scoped = url.startAccessingSecurityScopedResource()
        defer { if scoped { url.stopAccessingSecurityScopedResource() } }
        name = url.lastPathComponent
        data = (try? Data(contentsOf: url)) ?? Data()
    }
}

/// A card or contract: its name and idTag, a switch to block it, and swipe to remove it.
private struct TokenRowView: View {
    let token: TokenRow
    let model: CardsModel
    private let formats = Formats()

    var body: some View {
        Toggle(isOn: Binding(get: { token.blocked }, set: { blocked in Task { await model.setBlocked(token.idTag, blocked) } })) {
            VStack(alignment: .leading) {
                Text(token.label ?? token.idTag)
                if token.label != nil { Text(token.idTag).font(.caption.monospaced()).foregroundStyle(.secondary) }
                if let validUntil = token.validUntil { Text("Valid until \(formats.date(unixSeconds: validUntil))").font(.caption).foregroundStyle(.secondary) }
                if token.blocked { Text("Blocked").font(.caption).foregroundStyle(.red) }
            }
        }
        .disabled(model.screen.busy)
        .swipeActions {
            Button("Remove", role: .destructive) { Task { await model.remove(token.idTag) } }
        }
    }
}

private struct NoticeView: View {
    let notice: CardsNotice
    let formats: Formats
    let onDismiss: @MainActor () -> Void

    var body: some View {
        HStack {
            switch notice {
            case .cardAdded(let idTag): Text("Card \(idTag) added.")
            case .contractAdded(let emaid, let issuer, let validUntil): Text("Contract \(emaid) added (issued by \(issuer), valid until \(formats.date(unixSeconds: validUntil))).")
            case .blocked(let idTag): Text("\(idTag) is blocked at every charger.")
            case .unblocked(let idTag): Text("\(idTag) can charge again.")
            case .removed(let idTag): Text("\(idTag) removed.")
            case .failed(let message): Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
            }
            Spacer()
            Button("Dismiss", action: onDismiss)
        }
    }
}
#endif
