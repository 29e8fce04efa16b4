#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// The live session: energy, power, cost and time while charging, and the stop button.
/// Draws the core's ``LiveSessionScreen``; follows the session while on screen.
public struct LiveSessionView: View {
    let model: LiveSessionModel
    /// The session is final: show its receipt.
    let onReceipt: (String) -> Void
    private let formats = Formats()

    public init(model: LiveSessionModel, onReceipt: @escaping (String) -> Void) {
        self.model = model
        self.onReceipt = onReceipt
    }

    public var body: some View {
        List {
            if let screen = model.screen {
                Section {
                    Label(screen.phase.title(failure: screen.failureReason), systemImage: screen.phase.symbol).font(.headline)
                }
                Section {
                    LabeledContent("Energy", value: formats.quantity(screen.energy))
                    LabeledContent("Power", value: formats.quantity(screen.power))
                    LabeledContent("Cost so far", value: formats.money(screen.cost))
                    LabeledContent("Time") {
                        // Between meter values the clock moves on its own while charging.
                        if screen.phase == .charging, let startedAt = screen.startedAt {
                            Text(timerInterval: Date(timeIntervalSince1970: TimeInterval(startedAt))...Date.distantFuture, countsDown: false)
                        } else {
                            Text(formats.quantity(screen.elapsed))
                        }
                    }
                }
                .monospacedDigit()
                if let errorMessage = model.errorMessage {
                    Section { Label(errorMessage, systemImage: "exclamationmark.triangle").foregroundStyle(.red) }
                }
                Section {
                    if screen.finished {
                        Button("Show the receipt") { onReceipt(screen.sessionId) }
                    } else {
                        Button("Stop charging", role: .destructive) { Task { await model.stop() } }
                            .disabled(!screen.canStop)
                    }
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(model.screen?.evseId ?? "")
        .task { await model.follow() }
    }
}
#endif
