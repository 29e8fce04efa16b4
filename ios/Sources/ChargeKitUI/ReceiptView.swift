#if canImport(SwiftUI)
import ChargeKitModels
import SwiftUI

/// The itemized receipt of a finished session. Draws ``ReceiptModel``.
public struct ReceiptView: View {
    let model: ReceiptModel

    public init(model: ReceiptModel) {
        self.model = model
    }

    public var body: some View {
        List {
            if let errorMessage = model.errorMessage {
                Label(errorMessage, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
            }
            if model.session != nil {
                Section {
                    LabeledContent("Charger", value: model.evseID)
                    if let startedAt = model.startedAt { LabeledContent("Started", value: startedAt) }
                    if let stoppedAt = model.stoppedAt { LabeledContent("Stopped", value: stoppedAt) }
                    LabeledContent("Energy", value: model.energy)
                }
                Section("Items") {
                    ForEach(model.lines) { line in
                        VStack(alignment: .leading, spacing: 2) {
                            LabeledContent(line.kind.title, value: line.amountExclVAT)
                            HStack {
                                Text(line.quantity)
                                Text("×")
                                Text(line.unitPrice) + Text(line.kind.perUnit)
                                Spacer()
                                if let rate = line.vatRate { Text("VAT \(rate): \(line.vat)") }
                            }
                            .font(.caption)
                            .foregroundStyle(.secondary)
                        }
                    }
                }
                Section {
                    LabeledContent("Net", value: model.totalExclVAT)
                    LabeledContent("VAT", value: model.totalVAT)
                    LabeledContent("Total", value: model.total).font(.headline)
                }
            } else if model.errorMessage == nil {
                ProgressView()
            }
        }
        .monospacedDigit()
        .navigationTitle("Receipt")
        .task { await model.load() }
    }
}
#endif
