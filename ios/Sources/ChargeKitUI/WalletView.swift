#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// The wallet: balances per currency (with what is held for a session going on), top-ups,
/// the payment methods and the default one. Draws ``WalletModel`` and forwards taps to it.
public struct WalletView: View {
    let model: WalletModel
    private let formats = Formats()

    public init(model: WalletModel) {
        self.model = model
    }

    public var body: some View {
        List {
            if let errorMessage = model.state.message {
                Section {
                    Label(errorMessage, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
                    Button("Dismiss") { model.dismissError() }
                }
            }
            switch model.state.status {
            case .loading:
                ProgressView()
            case .unavailable(let message):
                Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
                Button("Try again") { Task { await model.refresh() } }
            case .loaded:
                Section("Balance") {
                    if model.state.wallet.balances.isEmpty { Text("Your wallet is empty.").foregroundStyle(.secondary) }
                    ForEach(model.state.wallet.balances, id: \.available.currency) { balance in
                        VStack(alignment: .leading) {
                            Text(formats.money(balance.available)).font(.title.monospacedDigit())
                            if let held = balance.held { Text("\(formats.money(held)) held for charging").foregroundStyle(.secondary) }
                        }
                    }
                }
                Section("Top up") {
                    HStack {
                        ForEach(model.state.wallet.topUps, id: \.minor) { amount in
                            Button(formats.money(amount)) { Task { await model.topUp(amount) } }
                                .buttonStyle(.bordered)
                        }
                    }
                    .disabled(model.state.busy)
                }
                Section("Payment methods") {
                    ForEach(Array(model.state.wallet.methods.enumerated()), id: \.offset) { _, method in
                        HStack {
                            Text(method.method.title(formats))
                            Spacer()
                            if method.isDefault {
                                Text("Default").foregroundStyle(.secondary)
                            } else {
                                Button("Make default") { Task { await model.makeDefault(method) } }.disabled(model.state.busy)
                            }
                        }
                    }
                }
            }
        }
        .navigationTitle("Wallet")
        .task { await model.refresh() }
        .task { await model.follow() }
    }
}
#endif
