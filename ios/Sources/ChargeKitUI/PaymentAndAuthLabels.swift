#if canImport(SwiftUI)
import ChargeKit
import ChargeKitModels
import SwiftUI

/// How the screens name a payment method: "Wallet (€20.00)", "visa •••• 4242".
extension PaymentOptionLabel {
    func title(_ formats: Formats) -> String {
        switch self {
        case .wallet(let available?): String(localized: "Wallet (\(formats.money(available)))")
        case .wallet(nil): String(localized: "Wallet")
        case .card(let brand, let last4?): "\(brand ?? String(localized: "Card")) •••• \(last4)"
        case .card(let brand, nil): brand ?? String(localized: "Card")
        }
    }
}

/// How a session was started, when not from the app.
extension AuthMethod {
    var startedWith: String? {
        switch self {
        case .app: nil
        case .rfid: String(localized: "Started with your charging card")
        case .plugAndCharge: String(localized: "Started by your car (Plug & Charge)")
        }
    }
}
#endif
