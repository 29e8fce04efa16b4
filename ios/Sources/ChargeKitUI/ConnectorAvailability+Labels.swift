#if canImport(SwiftUI)
import ChargeKit
import SwiftUI

/// The driver's words for a connector's state: never the charger's OCPP status name.
extension ConnectorAvailability {
    var title: LocalizedStringKey {
        switch self {
        case .available: "Free"
        case .occupied: "Occupied"
        case .charging: "In use"
        case .faulted: "Out of order"
        case .unavailable: "Not available"
        case .offline: "Offline"
        case .unknown: "Unknown"
        }
    }
}
#endif
