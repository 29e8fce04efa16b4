#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// The itemized receipt of a finished session. Draws ``ReceiptModel``: first the core's
/// verdict ("Verified receipt" only for a genuine signature, a warning otherwise), then the
/// items, the totals, what the meter signed, and the periods.
public struct ReceiptView: View {
    let model: ReceiptModel
    private let formats = Formats()

    public init(model: ReceiptModel) {
        self.model = model
    }

    public var body: some View {
        List {
            if let errorMessage = model.errorMessage {
                Label(errorMessage, systemImage: "exclamationmark.triangle").foregroundStyle(.red)
            }
            if let receipt = model.screen {
                Section { VerdictView(verdict: receipt.verdict) }
                Section {
                    LabeledContent("Charger", value: receipt.evseId)
                    if let startedAt = receipt.startedAt { LabeledContent("Started", value: formats.dateTime(unixSeconds: startedAt)) }
                    if let endedAt = receipt.endedAt { LabeledContent("Stopped", value: formats.dateTime(unixSeconds: endedAt)) }
                    LabeledContent("Energy", value: formats.quantity(receipt.energy))
                    if let chargingTime = receipt.chargingTime { LabeledContent("Charging", value: formats.quantity(chargingTime)) }
                    if let parkingTime = receipt.parkingTime { LabeledContent("Parked", value: formats.quantity(parkingTime)) }
                }
                Section("Items") {
                    ForEach(Array(receipt.lines.enumerated()), id: \.offset) { _, line in
                        VStack(alignment: .leading, spacing: 2) {
                            LabeledContent(line.kind.title, value: formats.money(line.amount))
                            HStack {
                                Text(formats.quantity(line.quantity))
                                Text("×")
                                Text(formats.price(line.unitPrice)) + Text(line.unitPrice.per.title)
                                Spacer()
                                if let rate = line.unitPrice.vatPercent, let vat = line.vat {
                                    Text("VAT \(formats.percent(rate)): \(formats.money(vat))")
                                }
                            }
                            .font(.caption)
                            .foregroundStyle(.secondary)
                        }
                    }
                }
                Section {
                    LabeledContent("Net", value: formats.money(receipt.net))
                    LabeledContent("VAT", value: formats.money(receipt.vat))
                    LabeledContent("Total", value: formats.money(receipt.total)).font(.headline)
                }
                if let meterData = receipt.meterData {
                    Section("Meter") { MeterDataView(meterData: meterData, formats: formats) }
                }
                if !receipt.periods.isEmpty {
                    Section("Periods") {
                        ForEach(Array(receipt.periods.enumerated()), id: \.offset) { _, period in
                            let (start, duration) = (formats.quantity(period.start), formats.quantity(period.duration))
                            if period.charging {
                                LabeledContent("Charging from \(start)", value: "\(duration) · \(formats.quantity(period.energy))")
                            } else {
                                LabeledContent("Parked from \(start)", value: duration)
                            }
                        }
                    }
                }
                if let issuedAt = receipt.issuedAt {
                    Text("Issued \(formats.dateTime(unixSeconds: issuedAt))").font(.footnote).foregroundStyle(.secondary)
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
    let verdict: ReceiptVerdict

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
    let meterData: MeterDataVerdict
    let formats: Formats

    var body: some View {
        switch meterData {
        case .notSigned:
            Text("The charger does not sign its meter readings.").foregroundStyle(.secondary)
        case .verified(let serial?, let energy):
            Label("Meter \(serial) signed \(formats.quantity(energy))", systemImage: "checkmark.seal")
        case .verified(nil, let energy):
            Label("Meter reading verified: \(formats.quantity(energy))", systemImage: "checkmark.seal")
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
