use std::collections::HashSet;

use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::datetime;

use super::*;
use crate::money::Currency;
use crate::pricing::{SessionUsage, price};
use crate::tariff::{PriceComponent, TariffElement, TariffRestrictions};

const START: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

fn component(dimension: TariffDimension, price: i64) -> PriceComponent {
    PriceComponent { dimension, price: Decimal::new(price, 2), vat: None, step_size: 1 }
}

/// 0.40/kWh; parking 6.00/h after two hours; a 12.00/h blocking fee after three.
fn idle_tariff() -> Tariff {
    let after = |seconds| Some(TariffRestrictions { min_duration: Some(seconds), ..Default::default() });
    Tariff {
        id: "idle".into(),
        currency: Currency::EUR,
        elements: vec![
            TariffElement { price_components: vec![component(TariffDimension::ParkingTime, 600)], restrictions: after(7200) },
            TariffElement { price_components: vec![component(TariffDimension::Time, 1200)], restrictions: after(10_800) },
            TariffElement { price_components: vec![component(TariffDimension::Energy, 40)], restrictions: None },
        ],
        time_zone: None,
        min_price: None,
        max_price: None,
    }
}

fn parking_from_the_start() -> Tariff {
    let mut tariff = Tariff::per_kwh_and_hour("p", Currency::EUR, Decimal::new(40, 2), Decimal::ZERO, None);
    tariff.elements[0].price_components.push(component(TariffDimension::ParkingTime, 300));
    tariff
}

/// A session `minutes` after its start, with `energy_wh` delivered and `power_w` drawn now, of
/// which `parked_minutes` were parked.
fn state(tariff: &Tariff, status: SessionStatus, minutes: i64, parked_minutes: i64, energy_wh: i64, power_w: i64) -> Session {
    let duration = minutes * 60;
    let parking = parked_minutes * 60;
    Session {
        id: Uuid::from_u128(42),
        evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
        status,
        created_at: START,
        started_at: (status != SessionStatus::Starting && !(status == SessionStatus::Failed && minutes == 0)).then_some(START),
        stopped_at: status.is_final().then(|| START + Duration::seconds(duration)),
        energy_wh,
        power_w,
        duration_seconds: duration,
        parking_seconds: parking,
        cost: price(tariff, &SessionUsage { energy_wh, charging_seconds: duration - parking, parking_seconds: parking }),
        tariff: tariff.clone(),
        failure_reason: None,
        review_reason: None,
        auth_method: Default::default(),
        version: minutes + 1,
    }
}

fn kinds(session: &Session, context: SessionContext, now: OffsetDateTime) -> Vec<DriverEventKind> {
    events_of(session, context, now).into_iter().map(|e| e.kind).collect()
}

fn at(minutes: i64) -> OffsetDateTime {
    START + Duration::minutes(minutes)
}

#[test]
fn charging_started_names_the_charger_and_has_a_stable_id() {
    let tariff = idle_tariff();
    assert!(events_of(&state(&tariff, SessionStatus::Starting, 0, 0, 0, 0), SessionContext::default(), at(0)).is_empty());
    let events = events_of(&state(&tariff, SessionStatus::Charging, 1, 0, 100, 11_000), SessionContext::default(), at(1));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, DriverEventKind::ChargingStarted);
    assert_eq!(events[0].evse_id.as_str(), "DE*CKT*E0001*1");
    assert_eq!(events[0].id, format!("{}/charging_started", Uuid::from_u128(42)));
    let later = events_of(&state(&tariff, SessionStatus::Charging, 30, 0, 5000, 11_000), SessionContext::default(), at(30));
    assert_eq!(later[0].id, events[0].id, "the same event has the same id in every state");
}

#[test]
fn the_car_stopping_is_told_only_after_it_drew_energy() {
    let tariff = idle_tariff();
    let plugged_in_idle = state(&tariff, SessionStatus::Charging, 5, 5, 0, 0);
    assert_eq!(kinds(&plugged_in_idle, SessionContext::default(), at(5)), vec![DriverEventKind::ChargingStarted]);
    let full = state(&tariff, SessionStatus::Charging, 60, 5, 20_000, 0);
    assert!(kinds(&full, SessionContext::default(), at(60)).contains(&DriverEventKind::ChargingStoppedByCar));
    let stopping = state(&tariff, SessionStatus::Stopping, 60, 5, 20_000, 0);
    assert!(!kinds(&stopping, SessionContext::default(), at(60)).contains(&DriverEventKind::ChargingStoppedByCar), "the driver stopped it");
}

#[test]
fn a_finished_session_tells_energy_total_and_whether_the_receipt_is_ready() {
    let tariff = idle_tariff();
    let done = state(&tariff, SessionStatus::Completed, 45, 0, 20_000, 0);
    let total = Money::new(800, Currency::EUR);
    assert_eq!(
        kinds(&done, SessionContext::default(), at(50)),
        vec![DriverEventKind::SessionFinished { energy_wh: 20_000, total, receipt_ready: true }]
    );
    let held = state(&tariff, SessionStatus::UnderReview, 45, 0, 20_000, 0);
    assert_eq!(kinds(&held, SessionContext::default(), at(50)), vec![DriverEventKind::SessionFinished { energy_wh: 20_000, total, receipt_ready: false }]);
    assert!(events_of(&done, SessionContext::default(), at(45) + FRESH + Duration::seconds(1)).is_empty(), "old history is not news");
}

#[test]
fn a_failed_start_says_why_as_a_kind() {
    let tariff = idle_tariff();
    for (sentence, reason) in [
        ("The charger refused to start.", StartFailure::ChargerRefused),
        ("The charger did not answer the start request.", StartFailure::ChargerTimeout),
        ("Cancelled before charging started.", StartFailure::Cancelled),
        ("Someone else started charging at this charger first.", StartFailure::ConnectorTaken),
        ("Something new.", StartFailure::Other),
    ] {
        let mut failed = state(&tariff, SessionStatus::Failed, 0, 0, 0, 0);
        failed.failure_reason = Some(sentence.into());
        assert_eq!(kinds(&failed, SessionContext::default(), at(1)), vec![DriverEventKind::StartFailed { reason }], "{sentence}");
    }
}

#[test]
fn the_hold_is_reached_when_the_cost_gets_to_it() {
    let tariff = idle_tariff();
    let session = state(&tariff, SessionStatus::Charging, 60, 0, 20_000, 11_000);
    assert_eq!(session.cost.total_incl_vat_minor, 800);
    let reached = |hold| kinds(&session, SessionContext { hold_minor: Some(hold) }, at(60)).into_iter().any(|k| matches!(k, DriverEventKind::PaymentHoldReached { .. }));
    assert!(reached(800));
    assert!(!reached(801));
    assert!(!kinds(&session, SessionContext::default(), at(60)).iter().any(|k| matches!(k, DriverEventKind::PaymentHoldReached { .. })), "unpaid");
}

#[test]
fn idle_fees_are_announced_ten_minutes_before_and_told_when_they_begin() {
    let tariff = idle_tariff();
    let parking_soon = DriverEventKind::IdleFeeSoon { fee: IdleFeeKind::Parking, starts_at: at(120), price_per_hour: Decimal::new(600, 2), currency: Currency::EUR };
    let parking_begun = DriverEventKind::IdleFeeBegun { fee: IdleFeeKind::Parking, since: at(120), price_per_hour: Decimal::new(600, 2), currency: Currency::EUR };
    let time_soon = DriverEventKind::IdleFeeSoon { fee: IdleFeeKind::Time, starts_at: at(180), price_per_hour: Decimal::new(1200, 2), currency: Currency::EUR };
    let time_begun = DriverEventKind::IdleFeeBegun { fee: IdleFeeKind::Time, since: at(180), price_per_hour: Decimal::new(1200, 2), currency: Currency::EUR };
    let fees = |minutes, power| {
        let parked = if power == 0 { 30 } else { 0 };
        kinds(&state(&tariff, SessionStatus::Charging, minutes, parked, 30_000, power), SessionContext::default(), at(minutes))
            .into_iter()
            .filter(|k| matches!(k, DriverEventKind::IdleFeeSoon { .. } | DriverEventKind::IdleFeeBegun { .. }))
            .collect::<Vec<_>>()
    };
    assert_eq!(fees(109, 0), vec![]);
    assert_eq!(fees(110, 0), vec![parking_soon.clone()]);
    assert_eq!(fees(110, 7000), vec![], "still charging: no parking fee is coming");
    assert_eq!(fees(120, 0), vec![parking_begun.clone()]);
    assert_eq!(fees(170, 7000), vec![time_soon], "the blocking fee comes charging or not");
    assert_eq!(fees(185, 0), vec![parking_begun, time_begun]);
}

#[test]
fn parking_billed_from_the_first_second_begins_when_the_bill_counts_it() {
    let tariff = parking_from_the_start();
    let parked = state(&tariff, SessionStatus::Charging, 70, 10, 30_000, 0);
    assert!(parked.cost.items.iter().any(|i| i.dimension == TariffDimension::ParkingTime && i.excl_vat_minor > 0));
    let begun = DriverEventKind::IdleFeeBegun { fee: IdleFeeKind::Parking, since: at(60), price_per_hour: Decimal::new(300, 2), currency: Currency::EUR };
    assert!(kinds(&parked, SessionContext::default(), at(70)).contains(&begun));
    let later = state(&tariff, SessionStatus::Charging, 90, 30, 30_000, 0);
    assert_eq!(
        events_of(&later, SessionContext::default(), at(90)).iter().map(|e| &e.id).collect::<Vec<_>>(),
        events_of(&parked, SessionContext::default(), at(70)).iter().map(|e| &e.id).collect::<Vec<_>>(),
        "while parked, the same ids"
    );
}

#[test]
fn events_serialize_as_typed_values_with_their_kind() {
    let tariff = idle_tariff();
    let event = &events_of(&state(&tariff, SessionStatus::Completed, 45, 0, 20_000, 0), SessionContext::default(), at(46))[0];
    let json = serde_json::to_value(event).unwrap();
    assert_eq!(json["kind"]["type"], "session_finished");
    assert_eq!(json["kind"]["total"]["amount_minor"], 800);
    assert_eq!(serde_json::from_value::<DriverEvent>(json).unwrap(), *event);
}

/// One step of a generated session: minutes on, whether the car draws power, energy added.
fn journey() -> impl Strategy<Value = (Vec<(i64, bool, i64)>, u8, Option<i64>)> {
    (prop::collection::vec((1i64..40, any::<bool>(), 0i64..8000), 1..20), 0u8..4, prop::option::of(100i64..3000))
}

/// The states of a generated session: starting, charging samples, then its end.
fn states_of(tariff: &Tariff, steps: &[(i64, bool, i64)], end: u8) -> Vec<Session> {
    let mut states = vec![state(tariff, SessionStatus::Starting, 0, 0, 0, 0)];
    if end == 3 {
        states.push(state(tariff, SessionStatus::Failed, 0, 0, 0, 0));
        return states;
    }
    let (mut minutes, mut parked, mut energy) = (0, 0, 0);
    for &(step, drawing, added) in steps {
        minutes += step;
        if drawing {
            energy += added;
        } else {
            parked += step;
        }
        states.push(state(tariff, SessionStatus::Charging, minutes, parked, energy, if drawing { 7000 } else { 0 }));
    }
    let status = [SessionStatus::Completed, SessionStatus::UnderReview, SessionStatus::Completed][usize::from(end)];
    states.push(state(tariff, SessionStatus::Stopping, minutes, parked, energy, 0));
    states.push(state(tariff, status, minutes, parked, energy, 0));
    states
}

/// Emits each id once over the states seen, as the core and the server do.
fn emitted(states: &[&Session], context: SessionContext) -> Vec<DriverEvent> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for session in states {
        let now = START + Duration::seconds(session.duration_seconds);
        for event in events_of(session, context, now) {
            if seen.insert(event.id.clone()) {
                out.push(event);
            }
        }
    }
    out
}

proptest! {
    /// Whichever states of a session a device or the server happens to see, it tells nothing
    /// the full sequence would not, each event once; the end is always told; and an event
    /// keeps its id and values whichever state it came from.
    #[test]
    fn any_subsequence_of_states_tells_a_subset_once_and_always_the_end(
        (steps, end, hold) in journey(),
        tariff in prop_oneof![Just(idle_tariff()), Just(parking_from_the_start())],
        keep in prop::collection::vec(any::<bool>(), 64),
    ) {
        let states = states_of(&tariff, &steps, end);
        let context = SessionContext { hold_minor: hold };
        let all = emitted(&states.iter().collect::<Vec<_>>(), context);
        let last = states.len() - 1;
        let seen: Vec<&Session> = states.iter().enumerate().filter(|(i, _)| *i == last || keep[i % keep.len()]).map(|(_, s)| s).collect();
        let some = emitted(&seen, context);

        let ids: HashSet<_> = some.iter().map(|e| e.id.clone()).collect();
        prop_assert_eq!(ids.len(), some.len(), "each event once");
        for event in &some {
            prop_assert!(all.contains(event), "{:?} is not told by the full sequence", event);
        }
        let ends = some.iter().filter(|e| e.kind.ends_session()).count();
        prop_assert_eq!(ends, 1, "the end, once: {:?}", some);
        if end == 3 {
            let all_failed = some.iter().all(|e| matches!(e.kind, DriverEventKind::StartFailed { .. }));
            prop_assert!(all_failed, "a failed start tells only that");
        }
    }
}
