//! History grouped by calendar month, in the driver's time zone, with totals: the same on
//! both platforms, so it lives here.

use chargekit_model::{Currency, EvseId, LocalZone, Session};

/// Which sessions of the history to show. Empty: all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Only this charger (an EVSE ID, separators and case as the driver typed them).
    pub evse_id: Option<EvseId>,
    /// Only this month (year, 1–12), on the driver's wall clock.
    pub month: Option<(i32, u8)>,
}

impl HistoryFilter {
    pub fn matches(&self, session: &Session, zone: &LocalZone) -> bool {
        let charger_ok = self.evse_id.as_ref().is_none_or(|id| id.compact() == session.evse_id.compact());
        let month_ok = self.month.is_none_or(|wanted| zone.year_month(session.created_at) == wanted);
        charger_ok && month_ok
    }
}

/// One month of history, newest month first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// Newest first.
    pub sessions: Vec<Session>,
    pub energy_wh: i64,
    /// What was spent, per currency (sorted by currency code): sessions in different
    /// currencies are never added together.
    pub spent: Vec<(Currency, i64)>,
}

/// Groups sessions (given newest first) by the month they were started in, on the driver's wall
/// clock in `zone` (each date with the offset in force on that date, so a session just after
/// midnight across a daylight-saving change lands in its own month). Sessions that never
/// started (failed) are listed but add nothing to the totals.
pub fn by_month(sessions: Vec<Session>, zone: &LocalZone) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    for session in sessions {
        let (year, month) = zone.year_month(session.created_at);
        let starts_new_month = months.last().is_none_or(|m| (m.year, m.month) != (year, month));
        if starts_new_month {
            months.push(Month { year, month, sessions: Vec::new(), energy_wh: 0, spent: Vec::new() });
        }
        let current = months.last_mut().expect("a month was just pushed");
        current.energy_wh += session.energy_wh;
        let cost = &session.cost;
        if cost.total_incl_vat_minor != 0 {
            match current.spent.iter_mut().find(|(c, _)| *c == cost.currency) {
                Some((_, total)) => *total += cost.total_incl_vat_minor,
                None => {
                    current.spent.push((cost.currency, cost.total_incl_vat_minor));
                    current.spent.sort_by_key(|(c, _)| *c);
                }
            }
        }
        current.sessions.push(session);
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;
    use chargekit_model::{Cost, EvseId, SessionStatus};
    use time::macros::datetime;

    fn zone(id: &str) -> LocalZone {
        LocalZone::parse(id).unwrap()
    }

    fn session(created: time::OffsetDateTime, energy_wh: i64, cost: i64, currency: &str) -> Session {
        Session {
            id: uuid::Uuid::new_v4(),
            evse_id: EvseId::parse("DE*CKT*E1").unwrap(),
            status: SessionStatus::Completed,
            created_at: created,
            started_at: Some(created),
            stopped_at: None,
            energy_wh,
            power_w: 0,
            duration_seconds: 0,
            parking_seconds: 0,
            cost: Cost {
                currency: Currency::new(currency).unwrap(),
                items: vec![],
                total_excl_vat_minor: cost,
                total_vat_minor: 0,
                total_incl_vat_minor: cost,
            },
            tariff: crate::test_support::tariff(),
            failure_reason: None,
            review_reason: None,
            auth_method: Default::default(),
            version: 1,
        }
    }

    #[test]
    fn groups_by_local_month_with_totals_per_currency() {
        let sessions = vec![
            session(datetime!(2026-03-02 10:00 UTC), 10_000, 400, "EUR"),
            // 23:30 UTC on 28 Feb is already March in Berlin (UTC+1 in winter).
            session(datetime!(2026-02-28 23:30 UTC), 5_000, 300, "CHF"),
            session(datetime!(2026-02-27 12:00 UTC), 2_000, 100, "EUR"),
            session(datetime!(2026-01-15 12:00 UTC), 1_000, 50, "EUR"),
        ];
        let months = by_month(sessions.clone(), &zone("Europe/Berlin"));
        let shape: Vec<_> = months.iter().map(|m| (m.year, m.month, m.sessions.len(), m.energy_wh)).collect();
        assert_eq!(shape, vec![(2026, 3, 2, 15_000), (2026, 2, 1, 2_000), (2026, 1, 1, 1_000)]);
        let chf = Currency::new("CHF").unwrap();
        assert_eq!(months[0].spent, vec![(chf, 300), (Currency::EUR, 400)]);

        let utc = by_month(sessions, &LocalZone::utc());
        assert_eq!(utc.iter().map(|m| m.sessions.len()).collect::<Vec<_>>(), vec![1, 2, 1]);
    }

    #[test]
    fn filters_by_charger_and_local_month() {
        let mut other_charger = session(datetime!(2026-03-02 10:00 UTC), 1, 1, "EUR");
        other_charger.evse_id = EvseId::parse("DE*CKT*E2").unwrap();
        let march = session(datetime!(2026-03-02 10:00 UTC), 1, 1, "EUR");
        let late_feb = session(datetime!(2026-02-28 23:30 UTC), 1, 1, "EUR");
        let by_charger = HistoryFilter { evse_id: Some(EvseId::parse("deckte1").unwrap()), month: None };
        assert!(by_charger.matches(&march, &LocalZone::utc()));
        assert!(!by_charger.matches(&other_charger, &LocalZone::utc()));
        let march_filter = HistoryFilter { evse_id: None, month: Some((2026, 3)) };
        assert!(march_filter.matches(&march, &LocalZone::utc()));
        assert!(!march_filter.matches(&late_feb, &LocalZone::utc()));
        assert!(march_filter.matches(&late_feb, &zone("Europe/Berlin")), "already March in UTC+1");
        assert!(HistoryFilter::default().matches(&other_charger, &LocalZone::utc()));
    }

    /// Today's offset is the wrong one for a date across a clock change. In Amsterdam a
    /// session just after midnight on 1 June (summer, UTC+2) is June, one just before midnight
    /// on 31 October (winter again since the 25th, UTC+1) is October, whatever today's offset.
    #[test]
    fn months_across_the_spring_and_autumn_changes() {
        let amsterdam = zone("Europe/Amsterdam");
        let sessions = vec![
            // 23:30 on 31 October, winter time: 22:30 UTC.
            session(datetime!(2026-10-31 22:30 UTC), 3_000, 30, "EUR"),
            // 00:30 on 1 June, summer time: 22:30 UTC on 31 May.
            session(datetime!(2026-05-31 22:30 UTC), 2_000, 20, "EUR"),
            // 00:30 on 1 April, just after the spring change (29 March): 22:30 UTC on 31 March.
            session(datetime!(2026-03-31 22:30 UTC), 1_000, 10, "EUR"),
            // 23:30 on 28 February, winter time: 22:30 UTC.
            session(datetime!(2026-02-28 22:30 UTC), 500, 5, "EUR"),
        ];
        let months = |zone: &LocalZone| -> Vec<(i32, u8)> {
            by_month(sessions.clone(), zone).iter().map(|m| (m.year, m.month)).collect()
        };
        assert_eq!(months(&amsterdam), vec![(2026, 10), (2026, 6), (2026, 4), (2026, 2)]);
        // A fixed offset (what the shells passed before: today's) gets two of them wrong.
        assert_eq!(months(&zone("Etc/GMT-1")), vec![(2026, 10), (2026, 5), (2026, 3), (2026, 2)], "winter offset");
        assert_eq!(months(&zone("Etc/GMT-2")), vec![(2026, 11), (2026, 6), (2026, 4), (2026, 3)], "summer offset");
    }

    #[test]
    fn empty_history_has_no_months() {
        assert!(by_month(Vec::new(), &LocalZone::utc()).is_empty());
    }
}
