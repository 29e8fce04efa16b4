import ChargeKit
import Foundation

/// How numbers from the core read in the driver's locale. Presentation only: every amount is
/// computed by the core; here money stays `Decimal` built from integer minor units, never
/// `Double`, so what is shown is exactly what is billed.
public struct Formats: Sendable {
    public let locale: Locale
    public let timeZone: TimeZone

    public init(locale: Locale = .autoupdatingCurrent, timeZone: TimeZone = .autoupdatingCurrent) {
        self.locale = locale
        self.timeZone = timeZone
    }

    /// `minor` units of `currency` with `digits` after the decimal point, e.g. 1234 EUR 2 → "€12.34".
    public func money(minor: Int64, currency: String, digits: UInt32) -> String {
        let amount = Decimal(sign: minor < 0 ? .minus : .plus, exponent: -Int(digits), significand: Decimal(minor.magnitude))
        return amount.formatted(.currency(code: currency).locale(locale).precision(.fractionLength(Int(digits))))
    }

    /// A tariff's unit price, a decimal string in major units ("0.39"), as money with the
    /// digits the tariff gives, and at least `minimumDigits` ("0.035" stays "€0.035").
    public func unitPrice(_ decimal: String, currency: String, minimumDigits: UInt32 = 0) -> String {
        guard let price = Decimal(string: decimal, locale: Self.posix) else { return decimal }
        let given = decimal.split(separator: ".").dropFirst().first?.count ?? 0
        let fraction = max(given, Int(minimumDigits))
        return price.formatted(.currency(code: currency).locale(locale).precision(.fractionLength(fraction)))
    }

    /// Watt-hours as kWh with two decimals: "12.35 kWh".
    public func energy(wattHours: Int64) -> String {
        "\(thousandths(wattHours, fractionDigits: 2)) kWh"
    }

    /// Watts as kW with one decimal: "50.0 kW".
    public func power(watts: Int64) -> String {
        "\(thousandths(watts, fractionDigits: 1)) kW"
    }

    /// Seconds as hours, minutes and seconds: "1:02:05".
    public func duration(seconds: Int64) -> String {
        Duration.seconds(seconds).formatted(.time(pattern: .hourMinuteSecond).locale(locale))
    }

    /// A VAT rate given as a decimal string ("19") as a percentage: "19%".
    public func percent(_ decimal: String) -> String {
        guard let rate = Decimal(string: decimal, locale: Self.posix) else { return decimal }
        return rate.formatted(.percent.scale(1).locale(locale))
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

    /// `value` / 1000 with `fractionDigits` decimals, exactly (no floating point).
    private func thousandths(_ value: Int64, fractionDigits: Int) -> String {
        let decimal = Decimal(sign: value < 0 ? .minus : .plus, exponent: -3, significand: Decimal(value.magnitude))
        return decimal.formatted(.number.precision(.fractionLength(fractionDigits)).locale(locale))
    }

    private static let posix = Locale(identifier: "en_US_POSIX")
}
