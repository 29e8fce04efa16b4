//! The history screen: sessions by month in the driver's time zone (an IANA id, so each date
//! gets the offset in force on it), each month with its energy and what was spent per currency.
//! Read from the phone's cache, so it works with no network; a refresh brings the cache up to
//! date first and, when it cannot, says why while the cached months stay shown.

use serde::{Deserialize, Serialize};

use super::{MoneyAmount, Quantity, SessionPhase, energy, money, phase};
use crate::engine::{Core, local_zone};
use crate::error::CoreError;
use crate::history::Month;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct HistoryScreen {
    /// Newest first.
    pub months: Vec<HistoryMonthScreen>,
    /// Why the list may be stale or empty (no network, the cache could not be read), for a
    /// banner; the screen still shows what it has.
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct HistoryMonthScreen {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    pub energy: Quantity,
    /// One amount per currency, sorted by code; never added across currencies.
    pub spent: Vec<MoneyAmount>,
    pub sessions: Vec<HistoryRowScreen>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct HistoryRowScreen {
    pub session_id: String,
    pub evse_id: String,
    /// Unix seconds: when the session was created, the moment its month is chosen by.
    pub at: i64,
    pub energy: Quantity,
    pub cost: MoneyAmount,
    pub phase: SessionPhase,
}

/// The cached history, grouped in `time_zone`. Never fails: a problem becomes the message.
pub(crate) fn cached(core: &Core, limit: usize, time_zone: &str, message: Option<String>) -> HistoryScreen {
    let months = local_zone(time_zone).and_then(|zone| core.history_by_month(limit, &zone));
    match months {
        Ok(months) => HistoryScreen { months: months.into_iter().map(|m| month(core, m)).collect(), message },
        Err(e) => HistoryScreen { months: Vec::new(), message: Some(e.to_string()) },
    }
}

/// Syncs with the backend, then shows the cache; offline, the cache with the reason.
pub(crate) async fn refresh(core: &Core, limit: usize, time_zone: &str) -> HistoryScreen {
    let problem = core.sync_history(limit).await.err().map(|e: CoreError| e.to_string());
    cached(core, limit, time_zone, problem)
}

pub(crate) fn month(core: &Core, month: Month) -> HistoryMonthScreen {
    HistoryMonthScreen {
        year: month.year,
        month: month.month,
        energy: energy(month.energy_wh),
        spent: month.spent.iter().map(|(currency, amount)| money(*amount, *currency)).collect(),
        sessions: month
            .sessions
            .into_iter()
            .map(|session| {
                let snapshot = core.snapshot(session);
                let s = &snapshot.session;
                HistoryRowScreen {
                    session_id: s.id.to_string(),
                    evse_id: s.evse_id.to_string(),
                    at: s.created_at.unix_timestamp(),
                    energy: energy(s.energy_wh),
                    cost: money(s.cost.total_incl_vat_minor, s.cost.currency),
                    phase: phase(&snapshot),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use crate::secrets::MemorySecureStore;
    use crate::screens::live::tests::snapshot;
    use chargekit_model::SessionStatus;
    use std::sync::Arc;
    use time::macros::datetime;

    fn core_with(sessions: &[chargekit_model::Session]) -> (tokio::runtime::Runtime, Core) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let core = Core::open_with_store(
            "http://127.0.0.1:9",
            Arc::new(MemoryStore::default()),
            Arc::new(MemorySecureStore::default()),
            runtime.handle().clone(),
        )
        .unwrap();
        core.cache.put_many(sessions).unwrap();
        (runtime, core)
    }

    #[test]
    fn months_in_the_drivers_zone_with_rows_and_totals() {
        let mut june = snapshot(SessionStatus::Completed).session;
        // 00:30 on 1 June in Amsterdam (summer time), 22:30 UTC on 31 May.
        june.created_at = datetime!(2026-05-31 22:30 UTC);
        june.id = uuid::Uuid::from_u128(1);
        let (_rt, core) = core_with(&[june]);
        let shown = cached(&core, 10, "Europe/Amsterdam", None);
        assert_eq!(shown.message, None);
        assert_eq!((shown.months[0].year, shown.months[0].month), (2026, 6));
        let row = &shown.months[0].sessions[0];
        assert_eq!((row.phase, row.cost.minor, row.energy.value.units), (SessionPhase::Completed, 481, 12_345));
        assert_eq!(shown.months[0].spent, vec![MoneyAmount { minor: 481, currency: "EUR".into(), digits: 2 }]);
        assert_eq!(cached(&core, 10, "UTC", None).months[0].month, 5);
    }

    #[test]
    fn an_unknown_zone_is_a_message_not_a_crash() {
        let (_rt, core) = core_with(&[]);
        let shown = cached(&core, 10, "Mars/Olympus", None);
        assert!(shown.months.is_empty());
        assert!(shown.message.unwrap().contains("Mars/Olympus"));
    }
}
