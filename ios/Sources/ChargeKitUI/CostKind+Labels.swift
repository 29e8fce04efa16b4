#if canImport(SwiftUI)
import ChargeKit
import SwiftUI

/// How the screens name what a tariff bills: words belong to the views, the kinds to the core.
extension CostKind {
    var title: LocalizedStringKey {
        switch self {
        case .energy: "Energy"
        case .time: "Charging time"
        case .parking: "Parking"
        case .flat: "Session fee"
        }
    }

    /// The unit a price is per: "/kWh", "/h", or nothing for a flat fee.
    var perUnit: LocalizedStringKey {
        switch self {
        case .energy: "/kWh"
        case .time, .parking: "/h"
        case .flat: ""
        }
    }
}
#endif

#if canImport(SwiftUI)
import ChargeKit
import SwiftUI

/// Where a session stands, in words; the phase itself is the core's.
extension SessionPhase {
    func title(failure: String? = nil) -> LocalizedStringKey {
        switch self {
        case .starting: "Starting…"
        case .charging: "Charging"
        case .stopping: "Stopping…"
        case .stopPending: "Stop pending: it will be sent as soon as the phone is online"
        case .completed: "Completed"
        case .failed: failure.map { "Failed: \($0)" } ?? "Failed"
        case .underReview: "Held for review: nothing is charged until the operator has checked this session"
        }
    }

    var symbol: String {
        switch self {
        case .starting, .stopping: "hourglass"
        case .charging: "bolt.fill"
        case .stopPending: "wifi.slash"
        case .completed: "checkmark.circle"
        case .failed: "xmark.octagon"
        case .underReview: "questionmark.circle"
        }
    }
}

/// The unit a price is per: "/kWh", "/h", or nothing for a session fee.
extension PriceUnit {
    var title: LocalizedStringKey {
        switch self {
        case .perKilowattHour: "/kWh"
        case .perHour: "/h"
        case .perSession: ""
        }
    }
}
#endif
