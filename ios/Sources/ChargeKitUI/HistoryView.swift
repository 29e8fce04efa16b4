#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// Past sessions by month with each month's totals; pull to refresh. Draws ``HistoryModel``:
/// the phone's cache at once, then what the backend adds.
public struct HistoryView: View {
    let model: HistoryModel
    /// A session was tapped: show its receipt.
    let onSession: (String) -> Void
    private let formats = Formats()

    public init(model: HistoryModel, onSession: @escaping (String) -> Void) {
        self.model = model
        self.onSession = onSession
    }

    public var body: some View {
        List {
            if let message = model.screen.message {
                Label(message, systemImage: "wifi.exclamationmark").foregroundStyle(.secondary)
            }
            ForEach(model.screen.months, id: \.monthID) { month in
                Section {
                    ForEach(month.sessions, id: \.sessionId) { row in
                        Button { onSession(row.sessionId) } label: { HistoryRowView(row: row, formats: formats) }
                            .buttonStyle(.plain)
                    }
                } header: {
                    HStack {
                        Text(formats.month(year: month.year, month: month.month))
                        Spacer()
                        Text(formats.quantity(month.energy))
                        Text(month.spent.map(formats.money).joined(separator: " · "))
                    }
                    .monospacedDigit()
                }
            }
        }
        .overlay {
            if model.screen.months.isEmpty && !model.isRefreshing {
                ContentUnavailableView("No sessions yet", systemImage: "bolt.car")
            }
        }
        .navigationTitle("History")
        .refreshable { await model.refresh() }
        .task {
            await model.loadCached()
            await model.refresh()
        }
    }
}

struct HistoryRowView: View {
    let row: HistoryRowScreen
    let formats: Formats

    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(formats.dateTime(unixSeconds: row.at))
                Text(row.evseId).font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            VStack(alignment: .trailing) {
                Text(formats.money(row.cost))
                Text(formats.quantity(row.energy)).font(.caption).foregroundStyle(.secondary)
            }
            .monospacedDigit()
        }
        .contentShape(Rectangle())
    }
}

extension HistoryMonthScreen {
    var monthID: Int32 { year * 100 + Int32(month) }
}
#endif
