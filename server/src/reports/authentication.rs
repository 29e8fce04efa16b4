//! Authentication: who tried to charge with what, and what was refused.
//!
//! One source, the authorization log: every decision is logged with its OCPP result and reason.
//! - Tokens shown at a charger (RFID cards, Plug & Charge contracts, an app tag typed in) are
//!   logged by `authorization::decide`;
//! - a start asked for in the app is authorized by the driver's sign-in, then the charger
//!   starts it or not: it is logged when that is known (migration 0015), `Accepted` when the
//!   charger started it, `Failed` with the session's failure reason when it did not.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::reports::{AuthCount, OverlapRow, UnknownTokenRow};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MethodCount {
    /// `app`, `rfid` or `plug_and_charge`.
    pub method: String,
    pub attempts: i64,
    pub accepted: i64,
    pub refused: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutcomeCount {
    pub method: String,
    /// The OCPP authorization status (`Accepted`, `Blocked`, `Expired`, `Invalid`,
    /// `ConcurrentTx`), or `Failed` for an app start the charger did not carry out.
    pub result: String,
    pub reason: Option<String>,
    pub attempts: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    pub day: String,
    pub accepted: i64,
    pub refused: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnknownToken {
    pub id_tag: String,
    pub attempts: i64,
    /// At how many chargers it was tried.
    pub chargers: i64,
    pub first_at: String,
    pub last_at: String,
}

impl From<UnknownTokenRow> for UnknownToken {
    fn from(r: UnknownTokenRow) -> Self {
        Self { id_tag: r.id_tag, attempts: r.attempts, chargers: r.chargers, first_at: r.first_at, last_at: r.last_at }
    }
}

/// One token charging at two chargers at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConcurrentUse {
    pub id_tag: String,
    pub first_session_id: String,
    pub first_charger_id: String,
    pub second_session_id: String,
    pub second_charger_id: String,
    /// When the second session started, while the first was still on.
    pub overlap_from: String,
}

impl From<OverlapRow> for ConcurrentUse {
    fn from(r: OverlapRow) -> Self {
        Self {
            id_tag: r.id_tag,
            first_session_id: r.first_session_id,
            first_charger_id: r.first_charger_id,
            second_session_id: r.second_session_id,
            second_charger_id: r.second_charger_id,
            overlap_from: r.overlap_from,
        }
    }
}

/// The attempt figures from the logged decisions.
pub struct Figures {
    pub by_method: Vec<MethodCount>,
    pub by_outcome: Vec<OutcomeCount>,
    pub by_day: Vec<DayCount>,
    /// Refused because the token was already charging elsewhere.
    pub concurrent_refusals: i64,
}

#[derive(Default)]
struct Tally {
    by_method: BTreeMap<String, MethodCount>,
    by_outcome: BTreeMap<(String, String, String), i64>,
    by_day: BTreeMap<String, DayCount>,
}

impl Tally {
    fn count(&mut self, method: &str, result: &str, reason: &str, n: i64) {
        let accepted = result == "Accepted";
        let m = self.by_method.entry(method.to_owned()).or_insert_with(|| MethodCount { method: method.to_owned(), ..MethodCount::default() });
        m.attempts = m.attempts.saturating_add(n);
        if accepted {
            m.accepted = m.accepted.saturating_add(n);
        } else {
            m.refused = m.refused.saturating_add(n);
        }
        let sum = self.by_outcome.entry((method.to_owned(), result.to_owned(), reason.to_owned())).or_default();
        *sum = sum.saturating_add(n);
    }

    fn count_day(&mut self, day: &str, accepted: bool, n: i64) {
        let d = self.by_day.entry(day.to_owned()).or_insert_with(|| DayCount { day: day.to_owned(), ..DayCount::default() });
        if accepted {
            d.accepted = d.accepted.saturating_add(n);
        } else {
            d.refused = d.refused.saturating_add(n);
        }
    }
}

pub fn figures(attempts: &[AuthCount]) -> Figures {
    let mut t = Tally::default();
    for method in ["app", "rfid", "plug_and_charge"] {
        t.count(method, "Accepted", "", 0);
    }
    let mut concurrent_refusals = 0;
    for a in attempts {
        t.count(&a.method, &a.result, &a.reason, a.attempts);
        t.count_day(&a.day, a.result == "Accepted", a.attempts);
        if a.result == "ConcurrentTx" {
            concurrent_refusals = i64::saturating_add(concurrent_refusals, a.attempts);
        }
    }
    Figures {
        by_method: t.by_method.into_values().collect(),
        by_outcome: t
            .by_outcome
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|((method, result, reason), attempts)| OutcomeCount { method, result, reason: (!reason.is_empty()).then_some(reason), attempts })
            .collect(),
        by_day: t.by_day.into_values().filter(|d| d.accepted.saturating_add(d.refused) > 0).collect(),
        concurrent_refusals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(day: &str, method: &str, result: &str, reason: &str, attempts: i64) -> AuthCount {
        AuthCount { day: day.into(), method: method.into(), result: result.into(), reason: reason.into(), attempts }
    }

    #[test]
    fn attempts_by_method_outcome_and_day() {
        let attempts = [
            attempt("2026-11-24", "rfid", "Accepted", "", 5),
            attempt("2026-11-24", "rfid", "Invalid", "unknown token", 2),
            attempt("2026-11-25", "rfid", "ConcurrentTx", "already charging elsewhere", 1),
            attempt("2026-11-25", "plug_and_charge", "Expired", "validity ended", 1),
            attempt("2026-11-25", "app", "Accepted", "", 3),
            attempt("2026-11-25", "app", "Failed", "The charger refused to start.", 1),
        ];
        let f = figures(&attempts);
        let methods: Vec<_> = f.by_method.iter().map(|m| (m.method.as_str(), m.attempts, m.accepted, m.refused)).collect();
        assert_eq!(methods, [("app", 4, 3, 1), ("plug_and_charge", 1, 0, 1), ("rfid", 8, 5, 3)]);
        assert_eq!(f.concurrent_refusals, 1);
        assert_eq!(f.by_day, [DayCount { day: "2026-11-24".into(), accepted: 5, refused: 2 }, DayCount { day: "2026-11-25".into(), accepted: 3, refused: 3 }]);
        assert!(f.by_outcome.contains(&OutcomeCount { method: "app".into(), result: "Failed".into(), reason: Some("The charger refused to start.".into()), attempts: 1 }));
        let total: i64 = f.by_outcome.iter().map(|o| o.attempts).sum();
        assert_eq!(total, f.by_method.iter().map(|m| m.attempts).sum::<i64>());
    }
}
