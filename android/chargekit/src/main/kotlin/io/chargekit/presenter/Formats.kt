package io.chargekit.presenter

import io.chargekit.Fixed
import io.chargekit.MoneyAmount
import io.chargekit.Quantity
import io.chargekit.QuantityUnit
import io.chargekit.UnitPrice
import java.math.BigDecimal
import java.text.NumberFormat
import java.time.Instant
import java.time.YearMonth
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.time.format.FormatStyle
import java.util.Currency
import java.util.Locale

/**
 * Renders the core's figures for one locale and time zone. The precision is the core's (each
 * figure carries it); only the digits, separators and symbols are the locale's. Money stays
 * exact: minor units become a [BigDecimal], never a Double.
 */
class Formats(val locale: Locale = Locale.getDefault(), val zone: ZoneId = ZoneId.systemDefault()) {

    fun money(amount: MoneyAmount): String = money(amount.minor, amount.currency, amount.digits.toInt())

    fun money(minor: Long, currencyCode: String, digits: Int): String = currency(BigDecimal.valueOf(minor, digits), currencyCode)

    /** A tariff's unit price with the digits the core chose, e.g. "€0.39", "€0.345"; the unit is the screen's word. */
    fun price(price: UnitPrice): String = currency(price.amount.decimal(), price.currency)

    /** A percentage the core gives as a number ("19" → "19%" in en, "19 %" in de). */
    fun percent(rate: Fixed): String {
        val format = NumberFormat.getPercentInstance(locale)
        format.minimumFractionDigits = rate.scale.toInt()
        format.maximumFractionDigits = rate.scale.toInt()
        return format.format(rate.decimal().movePointLeft(2))
    }

    /** A quantity in its unit with the core's precision: "12.345 kWh", "11.0 kW", "0:25:05", "1". */
    fun quantity(quantity: Quantity): String = when (quantity.unit) {
        QuantityUnit.KILOWATT_HOURS -> number(quantity.value) + " kWh"
        QuantityUnit.KILOWATTS -> number(quantity.value) + " kW"
        QuantityUnit.DURATION -> duration(quantity.value.units)
        QuantityUnit.COUNT -> number(quantity.value)
    }

    /** `h:mm:ss`, as the iOS app shows it too. */
    fun duration(seconds: Long): String {
        val s = seconds.coerceAtLeast(0)
        return "%d:%02d:%02d".format(locale, s / 3600, s % 3600 / 60, s % 60)
    }

    fun dateTime(unixSeconds: Long): String =
        DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM, FormatStyle.SHORT)
            .withLocale(locale)
            .withZone(zone)
            .format(Instant.ofEpochSecond(unixSeconds))

    fun date(unixSeconds: Long): String =
        DateTimeFormatter.ofLocalizedDate(FormatStyle.MEDIUM)
            .withLocale(locale)
            .withZone(zone)
            .format(Instant.ofEpochSecond(unixSeconds))

    fun month(year: Int, month: Int): String =
        YearMonth.of(year, month).format(DateTimeFormatter.ofPattern("LLLL yyyy", locale))

    private fun number(value: Fixed): String {
        val format = NumberFormat.getNumberInstance(locale)
        format.minimumFractionDigits = value.scale.toInt()
        format.maximumFractionDigits = value.scale.toInt()
        return format.format(value.decimal())
    }

    /** [value] in [currencyCode] with exactly its own digits; an unknown code keeps the locale's symbol. */
    private fun currency(value: BigDecimal, currencyCode: String): String {
        val format = NumberFormat.getCurrencyInstance(locale)
        runCatching { Currency.getInstance(currencyCode) }.getOrNull()?.let { format.currency = it }
        format.minimumFractionDigits = value.scale()
        format.maximumFractionDigits = value.scale()
        return format.format(value)
    }

    private fun Fixed.decimal(): BigDecimal = BigDecimal.valueOf(units, scale.toInt())
}
