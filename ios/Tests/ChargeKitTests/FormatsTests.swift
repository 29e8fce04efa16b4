import ChargeKitModels
import Foundation
import Testing

/// Money from integer minor units in the driver's locale, exactly.
@Suite struct FormatsTests {
    let us = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)
    let german = Formats(locale: Locale(identifier: "de_DE"), timeZone: TimeZone(identifier: "Europe/Berlin")!)

    @Test func moneyInTheLocaleWithTheCurrencysDigits() {
        #expect(us.money(minor: 1234, currency: "EUR", digits: 2) == "€12.34")
        #expect(plain(german.money(minor: 1234, currency: "EUR", digits: 2)) == "12,34 €")
        #expect(us.money(minor: 1234, currency: "JPY", digits: 0) == "¥1,234")
        #expect(us.money(minor: -5, currency: "EUR", digits: 2) == "-€0.05")
    }

    @Test func moneyBeyondDoublePrecisionStaysExact() {
        // 2^53 + 1 cents: a Double would have lost the last cent.
        #expect(us.money(minor: 9_007_199_254_740_993, currency: "EUR", digits: 2) == "€90,071,992,547,409.93")
    }

    @Test func unitPricesKeepTheTariffsDigits() {
        #expect(us.unitPrice("0.39", currency: "EUR") == "€0.39")
        #expect(us.unitPrice("0.035", currency: "EUR", minimumDigits: 2) == "€0.035")
        #expect(us.unitPrice("1", currency: "EUR", minimumDigits: 2) == "€1.00")
    }

    @Test func energyPowerAndTime() {
        #expect(us.energy(wattHours: 12_340) == "12.34 kWh")
        #expect(german.energy(wattHours: 12_340) == "12,34 kWh")
        #expect(us.power(watts: 7_400) == "7.4 kW")
        #expect(us.duration(seconds: 3_725) == "1:02:05")
        #expect(plain(us.percent("19")) == "19%")
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
