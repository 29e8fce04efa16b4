import ChargeKit
import Foundation

/// How the core's figures read in the driver's locale. The precision is the core's (each figure
/// carries it); only digits, separators and symbols are the locale's. Money stays `Decimal`
/// built from integer units, never `Double`, so what is shown is exactly what is billed.
public struct Formats: Sendable {
    public let locale: Locale
    public let timeZone: TimeZone

    public init(locale: Locale = .autoupdatingCurrent, timeZone: TimeZone = .autoupdatingCurrent) {
        self.locale = locale
        self.timeZone = timeZone
    }

    public func money(_ amount: MoneyAmount) -> String {
        money(minor: amount.minor, currency: amount.currency, digits: amount.digits)
    }

    /// `minor` units of `currency` with `digits` after the decimal point, e.g. 1234 EUR 2 → "€12.34".
    public func money(minor: Int64, currency: String, digits: UInt32) -> String {
        Self.decimal(minor, scale: digits).formatted(.currency(code: currency).locale(locale).precision(.fractionLength(Int(digits))))
    }

    /// A tariff's unit price with the digits the core chose ("€0.39", "€0.345"); the unit is the view's word.
    public func price(_ price: UnitPrice) -> String {
        money(minor: price.amount.units, currency: price.currency, digits: price.amount.scale)
    }

    /// A percentage the core gives as a number: 19 → "19%".
    public func percent(_ rate: Fixed) -> String {
        Self.decimal(rate.units, scale: rate.scale)
            .formatted(.percent.scale(1).precision(.fractionLength(Int(rate.scale))).locale(locale))
    }

    /// A quantity in its unit with the core's precision: "12.345 kWh", "11.0 kW", "0:25:05", "1".
    public func quantity(_ quantity: Quantity) -> String {
        switch quantity.unit {
        case .kilowattHours: "\(number(quantity.value)) kWh"
        case .kilowatts: "\(number(quantity.value)) kW"
        case .duration: duration(seconds: quantity.value.units)
        case .count: number(quantity.value)
        }
    }

    /// `h:mm:ss`, as the Android app shows it too.
    public func duration(seconds: Int64) -> String {
        let s = max(0, seconds)
        return String(format: "%d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60)
    }

    /// Unix seconds as a date and time.
    public func dateTime(unixSeconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds))
            .formatted(Date.FormatStyle(date: .abbreviated, time: .shortened, locale: locale, calendar: calendar, timeZone: timeZone))
    }

    /// Unix seconds as a date: "Mar 5, 2026".
    public func date(unixSeconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds))
            .formatted(Date.FormatStyle(date: .abbreviated, time: .omitted, locale: locale, calendar: calendar, timeZone: timeZone))
    }

    /// A calendar month: "March 2026".
    public func month(year: Int32, month: UInt8) -> String {
        let first = calendar.date(from: DateComponents(year: Int(year), month: Int(month), day: 1)) ?? Date(timeIntervalSince1970: 0)
        return first.formatted(Date.FormatStyle(locale: locale, calendar: calendar, timeZone: timeZone).year().month(.wide))
    }

    /// Gregorian, as the core's months are, in the driver's locale and time zone.
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.locale = locale
        return calendar
    }

    private func number(_ value: Fixed) -> String {
        Self.decimal(value.units, scale: value.scale).formatted(.number.precision(.fractionLength(Int(value.scale))).locale(locale))
    }

    /// `units` × 10^-`scale`, exactly.
    private static func decimal(_ units: Int64, scale: UInt32) -> Decimal {
        Decimal(sign: units < 0 ? .minus : .plus, exponent: -Int(scale), significand: Decimal(units.magnitude))
    }
}
