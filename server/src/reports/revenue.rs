//! Revenue: what completed sessions billed, per period, charger or site, and currency.
//!
//! Money stays integer minor units, summed exactly; the one ratio shown, the average price per
//! kWh, is a decimal computed from those integers (never a float).

use std::collections::BTreeMap;

use chargekit_model::Currency;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use time::Date;

use super::{GroupBy, Period, day_key, parse_day};
use crate::store::reports::{DailySessions, PaymentStateRow};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RevenueRow {
    /// `2026-11-24` (day), `2026-W48` (ISO week), `2026-11` (month).
    pub period: String,
    /// The period's first day (a week starts on Monday).
    pub period_start: String,
    /// With `group_by=charger`.
    pub charger_id: Option<String>,
    /// The charger's site with `group_by=charger`, the site with `group_by=site` (none for
    /// chargers without one).
    pub site: Option<String>,
    #[serde(flatten)]
    pub figures: RevenueFigures,
}

/// Sums over completed sessions in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RevenueFigures {
    pub currency: String,
    pub sessions: i64,
    pub energy_wh: i64,
    pub total_excl_vat_minor: i64,
    pub total_vat_minor: i64,
    pub total_incl_vat_minor: i64,
    /// Average price per kWh excluding VAT in major units (a decimal string, 4 places); none
    /// without energy.
    pub avg_price_per_kwh_excl_vat: Option<String>,
    pub avg_price_per_kwh_incl_vat: Option<String>,
}

impl RevenueFigures {
    fn add(&mut self, day: &DailySessions) {
        self.sessions = self.sessions.saturating_add(day.completed);
        self.energy_wh = self.energy_wh.saturating_add(day.energy_wh);
        self.total_excl_vat_minor = self.total_excl_vat_minor.saturating_add(day.excl_vat_minor);
        self.total_vat_minor = self.total_vat_minor.saturating_add(day.vat_minor);
        self.total_incl_vat_minor = self.total_incl_vat_minor.saturating_add(day.incl_vat_minor);
    }

    fn finish(mut self) -> Self {
        self.avg_price_per_kwh_excl_vat = price_per_kwh(self.total_excl_vat_minor, self.energy_wh, &self.currency);
        self.avg_price_per_kwh_incl_vat = price_per_kwh(self.total_incl_vat_minor, self.energy_wh, &self.currency);
        self
    }
}

/// Completed sessions in one currency and payment state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PaymentState {
    pub currency: String,
    /// `captured`; `pending` (money held, not captured yet); `failed` (the capture could not be
    /// done); `released` (the hold given back, the authorization voided); `unpaid` (no payment
    /// recorded: a session not paid through the app).
    pub state: String,
    pub sessions: i64,
    /// What the sessions billed (their receipts).
    pub total_excl_vat_minor: i64,
    pub total_vat_minor: i64,
    pub total_incl_vat_minor: i64,
    /// What the payments took.
    pub collected_minor: i64,
}

impl From<PaymentStateRow> for PaymentState {
    fn from(r: PaymentStateRow) -> Self {
        Self {
            currency: r.currency,
            state: r.state,
            sessions: r.sessions,
            total_excl_vat_minor: r.excl_vat_minor,
            total_vat_minor: r.vat_minor,
            total_incl_vat_minor: r.incl_vat_minor,
            collected_minor: r.collected_minor,
        }
    }
}

/// `minor` (of `currency`) per kWh over `energy_wh`, in major units, rounded half-even to 4
/// places.
pub fn price_per_kwh(minor: i64, energy_wh: i64, currency: &str) -> Option<String> {
    if energy_wh <= 0 {
        return None;
    }
    let digits = Currency::new(currency).map_or(2, |c| c.minor_digits());
    let major = Decimal::new(minor, digits);
    let per_kwh = major.checked_mul(Decimal::from(1000))?.checked_div(Decimal::from(energy_wh))?;
    Some(per_kwh.round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven).to_string())
}

/// The first day of the period `day` falls in, and the period's name.
pub fn period_of(day: Date, period: Period) -> (Date, String) {
    match period {
        Period::Day => (day, day_key(day)),
        Period::Week => {
            let monday = day - time::Duration::days(i64::from(day.weekday().number_days_from_monday()));
            let (year, week, _) = day.to_iso_week_date();
            (monday, format!("{year:04}-W{week:02}"))
        }
        Period::Month => {
            let first = day.replace_day(1).expect("every month has a first day");
            (first, format!("{:04}-{:02}", day.year(), u8::from(day.month())))
        }
    }
}

/// One period of a report's window, named as in [`RevenueRow::period`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PeriodSpan {
    pub period: String,
    /// The period's first day (a week starts on Monday), which may be before the window.
    pub period_start: String,
}

/// Every period from the one `from` falls in to the one `to` falls in, in order.
pub fn periods(from: Date, to: Date, period: Period) -> Vec<PeriodSpan> {
    let mut spans: Vec<PeriodSpan> = Vec::new();
    let mut day = from;
    while day <= to {
        let (start, name) = period_of(day, period);
        if spans.last().is_none_or(|last| last.period != name) {
            spans.push(PeriodSpan { period: name, period_start: day_key(start) });
        }
        let Some(next) = day.next_day() else { break };
        day = next;
    }
    spans
}

/// Rolls daily sums up into periods and groups. `site_of` names a charger's site.
pub fn rows(days: &[DailySessions], period: Period, group_by: GroupBy, site_of: impl Fn(&str) -> Option<String>) -> Vec<RevenueRow> {
    // (period start, group key, currency) → (period name, charger, site, figures); BTreeMap keeps
    // the output in that order.
    type Key = (Date, Option<String>, String);
    type Group = (String, Option<String>, Option<String>, RevenueFigures);
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for day in days.iter().filter(|d| d.completed > 0) {
        let Some(date) = parse_day(&day.day) else { continue };
        let (start, name) = period_of(date, period);
        let site = site_of(&day.charger_id);
        let (key, charger, site) = match group_by {
            GroupBy::Charger => (Some(day.charger_id.clone()), Some(day.charger_id.clone()), site),
            GroupBy::Site => (site.clone(), None, site),
            GroupBy::Total => (None, None, None),
        };
        let entry = groups.entry((start, key, day.currency.clone())).or_insert_with(|| {
            (name, charger, site, RevenueFigures { currency: day.currency.clone(), ..RevenueFigures::default() })
        });
        entry.3.add(day);
    }
    groups
        .into_iter()
        .map(|((start, _, _), (period, charger_id, site, figures))| RevenueRow {
            period,
            period_start: day_key(start),
            charger_id,
            site,
            figures: figures.finish(),
        })
        .collect()
}

/// Totals per currency.
pub fn totals(days: &[DailySessions]) -> Vec<RevenueFigures> {
    let mut by_currency: BTreeMap<&str, RevenueFigures> = BTreeMap::new();
    for day in days.iter().filter(|d| d.completed > 0) {
        by_currency
            .entry(&day.currency)
            .or_insert_with(|| RevenueFigures { currency: day.currency.clone(), ..RevenueFigures::default() })
            .add(day);
    }
    by_currency.into_values().map(RevenueFigures::finish).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(day: &str, charger: &str, currency: &str, completed: i64, energy_wh: i64, excl: i64, vat: i64) -> DailySessions {
        DailySessions {
            day: day.into(),
            charger_id: charger.into(),
            currency: currency.into(),
            auth_method: "app".into(),
            completed,
            energy_wh,
            excl_vat_minor: excl,
            vat_minor: vat,
            incl_vat_minor: excl + vat,
            ..DailySessions::default()
        }
    }

    #[test]
    fn periods_start_on_mondays_and_firsts() {
        // 2026-11-26 is a Thursday in ISO week 48.
        assert_eq!(period_of(date!(2026 - 11 - 26), Period::Week), (date!(2026 - 11 - 23), "2026-W48".into()));
        assert_eq!(period_of(date!(2026 - 11 - 26), Period::Month), (date!(2026 - 11 - 01), "2026-11".into()));
        // ISO week 1 of 2027 starts on Monday 2027-01-04; 2027-01-03 is in week 53 of 2026.
        assert_eq!(period_of(date!(2027 - 01 - 03), Period::Week), (date!(2026 - 12 - 28), "2026-W53".into()));
        let names = |from, to, p| periods(from, to, p).into_iter().map(|s| s.period).collect::<Vec<_>>();
        assert_eq!(names(date!(2026 - 11 - 29), date!(2026 - 12 - 02), Period::Day), ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
        assert_eq!(names(date!(2026 - 12 - 27), date!(2027 - 01 - 05), Period::Week), ["2026-W52", "2026-W53", "2027-W01"]);
        assert_eq!(periods(date!(2026 - 11 - 26), date!(2027 - 01 - 01), Period::Month)[0], PeriodSpan { period: "2026-11".into(), period_start: "2026-11-01".into() });
        assert_eq!(names(date!(2026 - 11 - 26), date!(2027 - 01 - 01), Period::Month), ["2026-11", "2026-12", "2027-01"]);
    }

    #[test]
    fn prices_per_kwh_are_exact_decimals() {
        assert_eq!(price_per_kwh(464, 10_000, "EUR").as_deref(), Some("0.4640"));
        assert_eq!(price_per_kwh(1_000, 3_000, "EUR").as_deref(), Some("3.3333"));
        assert_eq!(price_per_kwh(1_000, 3_000, "JPY").as_deref(), Some("333.3333"));
        assert_eq!(price_per_kwh(5, 0, "EUR"), None);
    }

    #[test]
    fn days_roll_up_by_period_group_and_currency() {
        let days = [
            day("2026-11-23", "A", "EUR", 2, 20_000, 780, 148),
            day("2026-11-24", "B", "EUR", 1, 10_000, 390, 74),
            day("2026-11-24", "A", "CHF", 1, 5_000, 200, 0),
            day("2026-11-30", "A", "EUR", 1, 1_000, 39, 7),
            day("2026-11-30", "B", "EUR", 0, 0, 0, 0), // failed sessions only: no revenue row
        ];
        let site = |c: &str| (c == "A").then(|| "Depot".to_owned());
        let weekly = rows(&days, Period::Week, GroupBy::Total, site);
        let summary: Vec<_> = weekly.iter().map(|r| (r.period.as_str(), r.figures.currency.as_str(), r.figures.sessions, r.figures.total_incl_vat_minor)).collect();
        assert_eq!(summary, [("2026-W48", "CHF", 1, 200), ("2026-W48", "EUR", 3, 1_392), ("2026-W49", "EUR", 1, 46)]);

        let by_site = rows(&days, Period::Month, GroupBy::Site, site);
        let summary: Vec<_> = by_site.iter().map(|r| (r.site.as_deref(), r.figures.currency.as_str(), r.figures.total_excl_vat_minor)).collect();
        assert_eq!(summary, [(None, "EUR", 390), (Some("Depot"), "CHF", 200), (Some("Depot"), "EUR", 819)]);

        let by_charger = rows(&days, Period::Day, GroupBy::Charger, site);
        assert_eq!(by_charger.len(), 4);
        assert_eq!((by_charger[0].charger_id.as_deref(), by_charger[0].site.as_deref()), (Some("A"), Some("Depot")));

        let totals = totals(&days);
        let eur = totals.iter().find(|t| t.currency == "EUR").unwrap();
        assert_eq!((eur.sessions, eur.energy_wh, eur.total_excl_vat_minor, eur.total_vat_minor, eur.total_incl_vat_minor), (4, 31_000, 1_209, 229, 1_438));
        assert_eq!(eur.avg_price_per_kwh_incl_vat.as_deref(), Some("0.4639"));
        // Every grouping sums to the same totals.
        for grouping in [&weekly, &by_site, &by_charger] {
            let sum: i64 = grouping.iter().filter(|r| r.figures.currency == "EUR").map(|r| r.figures.total_incl_vat_minor).sum();
            assert_eq!(sum, 1_438);
        }
    }
}
