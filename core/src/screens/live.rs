//! The live session screen: the figures while charging, and whether Stop can be tapped.

use serde::{Deserialize, Serialize};

use super::{MoneyAmount, Quantity, SessionPhase, duration, energy, money, phase, power};
use crate::engine::SessionSnapshot;
use crate::ffi::AuthMethod;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct LiveSessionScreen {
    pub session_id: String,
    pub evse_id: String,
    pub phase: SessionPhase,
    pub energy: Quantity,
    pub power: Quantity,
    /// Including VAT: what the bill will say at this point.
    pub cost: MoneyAmount,
    pub elapsed: Quantity,
    /// Unix seconds, when charging began (for a clock the view may advance between frames).
    pub started_at: Option<i64>,
    /// Stop is offered while the session runs, no stop is queued and none is being sent.
    pub can_stop: bool,
    /// Nothing will change any more: show the receipt.
    pub finished: bool,
    pub failure_reason: Option<String>,
    pub review_reason: Option<String>,
    pub auth_method: AuthMethod,
}

pub(crate) fn screen(snapshot: &SessionSnapshot) -> LiveSessionScreen {
    let session = &snapshot.session;
    let phase = phase(snapshot);
    LiveSessionScreen {
        session_id: session.id.to_string(),
        evse_id: session.evse_id.to_string(),
        phase,
        energy: energy(session.energy_wh),
        power: power(session.power_w),
        cost: money(session.cost.total_incl_vat_minor, session.cost.currency),
        elapsed: duration(session.duration_seconds),
        started_at: session.started_at.map(|t| t.unix_timestamp()),
        can_stop: !snapshot.stop_in_flight && matches!(phase, SessionPhase::Starting | SessionPhase::Charging),
        finished: snapshot.is_final(),
        failure_reason: session.failure_reason.clone(),
        review_reason: session.review_reason.clone(),
        auth_method: crate::ffi::auth_method(session.auth_method),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chargekit_model::{Cost, Currency, EvseId, Session, SessionStatus};
    use time::macros::datetime;

    pub(crate) fn snapshot(status: SessionStatus) -> SessionSnapshot {
        let at = datetime!(2026-03-05 09:00 UTC);
        SessionSnapshot {
            session: Session {
                id: uuid::Uuid::from_u128(0x15),
                evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
                status,
                created_at: at,
                started_at: Some(at),
                stopped_at: None,
                energy_wh: 12_345,
                power_w: 11_049,
                duration_seconds: 1_505,
                parking_seconds: 0,
                cost: Cost { currency: Currency::EUR, items: vec![], total_excl_vat_minor: 405, total_vat_minor: 76, total_incl_vat_minor: 481 },
                tariff: crate::test_support::tariff(),
                failure_reason: None,
                review_reason: None,
                auth_method: Default::default(),
                version: 3,
            },
            stop_pending: false,
            stop_in_flight: false,
        }
    }

    #[test]
    fn charging_shows_the_figures_and_offers_stop() {
        let shown = screen(&snapshot(SessionStatus::Charging));
        assert_eq!(shown.phase, SessionPhase::Charging);
        assert!(shown.can_stop && !shown.finished);
        assert_eq!((shown.energy.value.units, shown.energy.value.scale), (12_345, 3));
        assert_eq!((shown.power.value.units, shown.power.value.scale), (110, 1));
        assert_eq!(shown.cost, MoneyAmount { minor: 481, currency: "EUR".into(), digits: 2 });
        assert_eq!(shown.elapsed.value.units, 1_505);
    }

    #[test]
    fn no_second_stop_while_one_is_sent_or_queued() {
        let mut in_flight = snapshot(SessionStatus::Charging);
        in_flight.stop_in_flight = true;
        let shown = screen(&in_flight);
        assert_eq!((shown.phase, shown.can_stop), (SessionPhase::Charging, false));

        let mut queued = snapshot(SessionStatus::Charging);
        queued.stop_pending = true;
        let shown = screen(&queued);
        assert_eq!((shown.phase, shown.can_stop), (SessionPhase::StopPending, false));
    }

    #[test]
    fn only_a_running_session_can_be_stopped() {
        for (status, can_stop, finished) in [
            (SessionStatus::Starting, true, false),
            (SessionStatus::Stopping, false, false),
            (SessionStatus::Completed, false, true),
            (SessionStatus::Failed, false, true),
            (SessionStatus::UnderReview, false, true),
        ] {
            let shown = screen(&snapshot(status));
            assert_eq!((shown.can_stop, shown.finished), (can_stop, finished), "{status:?}");
        }
    }
}
