#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// The live session: energy, power, cost and time while charging, and the stop button.
/// Draws ``LiveSessionModel``; follows the session while on screen.
public struct LiveSessionView: View {
    let model: LiveSessionModel
    /// The session is final: show its receipt.
    let onReceipt: (String) -> Void

    public init(model: LiveSessionModel, onReceipt: @escaping (String) -> Void) {
        self.model = model
        self.onReceipt = onReceipt
    }

    public var body: some View {
        List {
            Section {
                Label(phaseTitle, systemImage: phaseSymbol).font(.headline)
            }
            Section {
                LabeledContent("Energy", value: model.energy)
                LabeledContent("Power", value: model.power)
                LabeledContent("Cost so far", value: model.cost)
                LabeledContent("Time") {
                    // Between meter values the clock moves on its own while charging.
                    if model.phase == .charging, let startedAt = model.startedAt {
                        Text(timerInterval: startedAt...Date.distantFuture, countsDown: false)
                    } else {
                        Text(model.elapsed)
                    }
                }
            }
            .monospacedDigit()
            if let errorMessage = model.errorMessage {
                Section { Label(errorMessage, systemImage: "exclamationmark.triangle").foregroundStyle(.red) }
            }
            Section {
                if model.isFinished {
                    Button("Show the receipt") { onReceipt(model.session.id) }
                } else {
                    Button("Stop charging", role: .destructive) { Task { await model.stop() } }
                        .disabled(!model.canStop)
                }
            }
        }
        .navigationTitle(model.session.evseId)
        .task { await model.follow() }
    }

    private var phaseTitle: LocalizedStringKey {
        switch model.phase {
        case .starting: "Starting…"
        case .charging: "Charging"
        case .stopping: "Stopping…"
        case .stopPending: "Stop pending: it will be sent as soon as the phone is online"
        case .completed: "Completed"
        case .failed(let reason?): "Failed: \(reason)"
        case .failed(nil): "Failed"
        case .underReview: "Held for review: nothing is charged until the operator has checked this session"
        }
    }

    private var phaseSymbol: String {
        switch model.phase {
        case .starting, .stopping: "hourglass"
        case .charging: "bolt.fill"
        case .stopPending: "wifi.slash"
        case .completed: "checkmark.circle"
        case .failed: "xmark.octagon"
        case .underReview: "questionmark.circle"
        }
    }
}
#endif
