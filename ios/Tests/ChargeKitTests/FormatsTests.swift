import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// The core's figures in the driver's locale, exactly, with the core's precision.
@Suite struct FormatsTests {
    let us = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)
    let german = Formats(locale: Locale(identifier: "de_DE"), timeZone: TimeZone(identifier: "Europe/Berlin")!)

    @Test func moneyInTheLocaleWithTheCurrencysDigits() {
        #expect(us.money(minor: 1234, currency: "EUR", digits: 2) == "€12.34")
        #expect(plain(german.money(MoneyAmount(minor: 1234, currency: "EUR", digits: 2))) == "12,34 €")
        #expect(us.money(minor: 1234, currency: "JPY", digits: 0) == "¥1,234")
        #expect(us.money(minor: -5, currency: "EUR", digits: 2) == "-€0.05")
    }

    @Test func moneyBeyondDoublePrecisionStaysExact() {
        // 2^53 + 1 cents: a Double would have lost the last cent.
        #expect(us.money(minor: 9_007_199_254_740_993, currency: "EUR", digits: 2) == "€90,071,992,547,409.93")
    }

    @Test func unitPricesWithTheDigitsTheCoreChose() {
        #expect(us.price(UnitPrice(amount: Fixed(units: 39, scale: 2), currency: "EUR", per: .perKilowattHour, vatPercent: nil)) == "€0.39")
        #expect(us.price(UnitPrice(amount: Fixed(units: 35, scale: 3), currency: "EUR", per: .perKilowattHour, vatPercent: nil)) == "€0.035")
        #expect(plain(us.percent(Fixed(units: 19, scale: 0))) == "19%")
        #expect(plain(us.percent(Fixed(units: 77, scale: 1))) == "7.7%")
    }

    @Test func quantitiesInTheirUnit() {
        #expect(us.quantity(Quantity(value: Fixed(units: 12_345, scale: 3), unit: .kilowattHours)) == "12.345 kWh")
        #expect(german.quantity(Quantity(value: Fixed(units: 12_345, scale: 3), unit: .kilowattHours)) == "12,345 kWh")
        #expect(us.quantity(Quantity(value: Fixed(units: 74, scale: 1), unit: .kilowatts)) == "7.4 kW")
        #expect(us.quantity(Quantity(value: Fixed(units: 3_725, scale: 0), unit: .duration)) == "1:02:05")
        #expect(us.quantity(Quantity(value: Fixed(units: 65, scale: 0), unit: .duration)) == "0:01:05")
        #expect(us.quantity(Quantity(value: Fixed(units: 1, scale: 0), unit: .count)) == "1")
    }

    @Test func monthsInTheLocale() {
        #expect(us.month(year: 2026, month: 3) == "March 2026")
        #expect(german.month(year: 2026, month: 3) == "März 2026")
    }

    /// ICU puts no-break spaces in some locales' formats.
    private func plain(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{00A0}", with: " ").replacingOccurrences(of: "\u{202F}", with: " ")
    }
}
