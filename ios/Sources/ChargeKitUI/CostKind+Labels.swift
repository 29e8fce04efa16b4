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
