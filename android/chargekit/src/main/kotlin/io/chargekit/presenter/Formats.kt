package io.chargekit.presenter

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
 * Renders numbers from the core for one locale and time zone. Money stays exact: minor units
 * become a [BigDecimal] with the currency's digits, never a Double.
 */
class Formats(val locale: Locale = Locale.getDefault(), val zone: ZoneId = ZoneId.systemDefault()) {

    fun money(minor: Long, currencyCode: String, digits: Int): String {
        val format = currencyFormat(currencyCode)
        format.minimumFractionDigits = digits
        format.maximumFractionDigits = digits
        return format.format(BigDecimal.valueOf(minor, digits))
    }

    /** A tariff's unit price (a decimal string in major units), e.g. "€0.39". */
    fun price(decimal: String, currencyCode: String): String {
        val value = decimal.toBigDecimalOrNull() ?: return "$decimal $currencyCode"
        val format = currencyFormat(currencyCode)
        format.minimumFractionDigits = format.currency?.defaultFractionDigits?.coerceAtLeast(0) ?: 2
        format.maximumFractionDigits = maxOf(format.minimumFractionDigits, value.stripTrailingZeros().scale())
        return format.format(value)
    }

    /** A VAT rate given as a decimal string ("19") as a percentage: "19%" (en), "19 %" (de). */
    fun percent(decimal: String): String {
        val value = decimal.toBigDecimalOrNull() ?: return "$decimal %"
        val format = NumberFormat.getPercentInstance(locale)
        format.maximumFractionDigits = value.stripTrailingZeros().scale().coerceAtLeast(0)
        return format.format(value.movePointLeft(2))
    }

    /** Energy in kWh with three decimals (the receipt bills by the Wh). */
    fun energy(wh: Long): String = decimal(BigDecimal.valueOf(wh, 3), 3) + " kWh"

    fun power(watts: Long): String = decimal(BigDecimal.valueOf(watts, 3), 1) + " kW"

    /** `h:mm:ss`, or `m:ss` under an hour. */
    fun duration(seconds: Long): String {
        val s = seconds.coerceAtLeast(0)
        val (h, m, sec) = Triple(s / 3600, s % 3600 / 60, s % 60)
        return if (h > 0) "%d:%02d:%02d".format(locale, h, m, sec) else "%d:%02d".format(locale, m, sec)
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

    /** A currency format for [locale]; an unknown code keeps the locale's own currency symbol. */
    private fun currencyFormat(currencyCode: String): NumberFormat {
        val format = NumberFormat.getCurrencyInstance(locale)
        runCatching { Currency.getInstance(currencyCode) }.getOrNull()?.let { format.currency = it }
        return format
    }

    private fun decimal(value: BigDecimal, digits: Int): String {
        val format = NumberFormat.getNumberInstance(locale)
        format.minimumFractionDigits = digits
        format.maximumFractionDigits = digits
        return format.format(value)
    }
}
