#if canImport(SwiftUI)
import ChargeKitModels
import SwiftUI

/// The itemized receipt of a finished session. Draws ``ReceiptModel``: first the core's
/// verdict ("Verified receipt" only for a genuine signature, a warning otherwise), then the
/// items, the totals, what the meter signed, and the periods.
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
                Section { VerdictView(verdict: model.verdict) }
                Section {
                    LabeledContent("Charger", value: model.evseID)
                    if let startedAt = model.startedAt { LabeledContent("Started", value: startedAt) }
                    if let stoppedAt = model.stoppedAt { LabeledContent("Stopped", value: stoppedAt) }
                    LabeledContent("Energy", value: model.energy)
                    if let chargingTime = model.chargingTime { LabeledContent("Charging", value: chargingTime) }
                    if let parkingTime = model.parkingTime { LabeledContent("Parked", value: parkingTime) }
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
                if let meterData = model.meterData {
                    Section("Meter") { MeterDataView(meterData: meterData) }
                }
                if !model.periods.isEmpty {
                    Section("Periods") {
                        ForEach(model.periods) { period in
                            if period.isCharging {
                                LabeledContent("Charging from \(period.start)", value: "\(period.duration) · \(period.energy)")
                            } else {
                                LabeledContent("Parked from \(period.start)", value: period.duration)
                            }
                        }
                    }
                }
                if let issuedAt = model.issuedAt {
                    Text("Issued \(issuedAt)").font(.footnote).foregroundStyle(.secondary)
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

/// The core's verdict on the receipt's signature.
struct VerdictView: View {
    let verdict: ReceiptModel.Verdict

    var body: some View {
        switch verdict {
        case .verified:
            Label {
                VStack(alignment: .leading) {
                    Text("Verified receipt").font(.headline)
                    Text("Signed by the operator and unchanged since.").font(.subheadline).foregroundStyle(.secondary)
                }
            } icon: {
                Image(systemName: "checkmark.seal.fill").foregroundStyle(.green)
            }
        case .tampered(let reason):
            warning("This receipt could not be verified", detail: "It does not match the operator's signature (\(reason)). Do not rely on it; contact the operator.")
        case .unknownKey(let keyID):
            warning("This receipt could not be verified", detail: "It is signed with a key this app does not know (\(keyID)).")
        case .unchecked(let message):
            Label {
                VStack(alignment: .leading) {
                    Text("Not a signed receipt").font(.headline)
                    if let message { Text(message).font(.subheadline).foregroundStyle(.secondary) }
                }
            } icon: {
                Image(systemName: "doc.text")
            }
        }
    }

    private func warning(_ title: LocalizedStringKey, detail: LocalizedStringKey) -> some View {
        Label {
            VStack(alignment: .leading) {
                Text(title).font(.headline)
                Text(detail).font(.subheadline)
            }
        } icon: {
            Image(systemName: "exclamationmark.triangle.fill")
        }
        .foregroundStyle(.red)
    }
}

/// What the charger's signed meter data says.
struct MeterDataView: View {
    let meterData: ReceiptModel.MeterData

    var body: some View {
        switch meterData {
        case .notSigned:
            Text("The charger does not sign its meter readings.").foregroundStyle(.secondary)
        case .verified(let serial?, let energy):
            Label("Meter \(serial) signed \(energy)", systemImage: "checkmark.seal")
        case .verified(nil, let energy):
            Label("Meter reading verified: \(energy)", systemImage: "checkmark.seal")
        case .invalid(let reason):
            Label("The signed meter readings do not hold: \(reason)", systemImage: "exclamationmark.triangle").foregroundStyle(.red)
        case .unsupported(let algorithm):
            Text("The meter signs with \(algorithm), which this app cannot check.").foregroundStyle(.secondary)
        case .noMeterKey:
            Text("The meter signs its readings, but the operator has not published the meter's key.").foregroundStyle(.secondary)
        }
    }
}
#endif
