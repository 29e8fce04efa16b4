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

    public init(model: HistoryModel, onSession: @escaping (String) -> Void) {
        self.model = model
        self.onSession = onSession
    }

    public var body: some View {
        List {
            if let errorMessage = model.errorMessage {
                Label(errorMessage, systemImage: "wifi.exclamationmark").foregroundStyle(.secondary)
            }
            ForEach(model.months) { month in
                Section {
                    ForEach(month.sessions) { row in
                        Button { onSession(row.id) } label: { HistoryRowView(row: row) }
                            .buttonStyle(.plain)
                    }
                } header: {
                    HStack {
                        Text(month.title)
                        Spacer()
                        Text(month.energy)
                        Text(month.spent.joined(separator: " · "))
                    }
                    .monospacedDigit()
                }
            }
        }
        .overlay {
            if model.months.isEmpty && !model.isRefreshing {
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
    let row: HistoryModel.Row

    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(row.date)
                Text(row.evseID).font(.caption).foregroundStyle(.secondary)
            }
            Spacer()
            VStack(alignment: .trailing) {
                Text(row.cost)
                Text(row.energy).font(.caption).foregroundStyle(.secondary)
            }
            .monospacedDigit()
        }
        .contentShape(Rectangle())
    }
}
#endif
