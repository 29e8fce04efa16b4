//! What a session costs, from the charger's meter samples through the one pricing engine
//! ([`chargekit_model::LiveSession`]): time-of-day and other restrictions apply as the session
//! goes, a car that stops drawing power (a reported power of 0) is parked, and the bill at the
//! end is the same computation over every sample, sorted by the charger's clock. A MeterValue
//! is read by [`chargekit_model::meter::sample_of`], the reading the session update uses too,
//! and the time parked that the bill counts is kept with the session (`parking_seconds`).
//!
//! Live costs are kept incrementally per running session: each update reads only the meter
//! values stored since the last one, so a long session costs the same per update as a short one.
//! After a restart the state is rebuilt from the database on first use.

use std::collections::HashMap;
use std::sync::Mutex;

use chargekit_model::meter::sample_of;
use chargekit_model::ocpp::messages::SampledValue;
use chargekit_model::{Cost, LiveSession, MeterSample, PricedSession, SessionStatus, SessionUsage, price};
use time::OffsetDateTime;

use crate::store::{SessionRow, Store, StoreError};

/// What a session costs so far (or in total), and how much of its time the bill counts as
/// parked: the session shows the same split.
#[derive(Debug, Clone, PartialEq)]
pub struct Billed {
    pub cost: Cost,
    pub parking_seconds: i64,
}

#[derive(Default)]
pub struct Billing {
    running: Mutex<HashMap<String, Running>>,
}

/// A running session's live pricing and how far it has read the stored meter values.
struct Running {
    live: LiveSession,
    last_row: i64,
    /// Whether the stored values were read since this entry was made.
    caught_up: bool,
    last: MeterSample,
}

impl Billing {
    /// What the session costs in its current state: the bill once it is completed, the cost so
    /// far otherwise.
    /// `fresh`: meter values about to be stored with this change (in the same transaction), so
    /// not yet readable from the database.
    pub async fn cost(&self, store: &Store, row: &SessionRow, fresh: &[(OffsetDateTime, Vec<SampledValue>)]) -> Result<Billed, StoreError> {
        // Held for review, the cost is what the operator would bill: the plausible readings only.
        if matches!(row.status(), SessionStatus::Completed | SessionStatus::UnderReview)
            && let Some(priced) = self.final_pricing(store, row).await?
        {
            return Ok(Billed { parking_seconds: priced.total_parking_time_seconds, cost: priced.cost });
        }
        self.live_cost(store, row, fresh).await
    }

    /// The cost of a session so far: the stored meter values, then `fresh` ones.
    pub async fn live_cost(&self, store: &Store, row: &SessionRow, fresh: &[(OffsetDateTime, Vec<SampledValue>)]) -> Result<Billed, StoreError> {
        let by_totals = |usage: SessionUsage| Billed { cost: price(&row.tariff, &usage), parking_seconds: usage.parking_seconds };
        let Some(start) = start_sample(row) else { return Ok(by_totals(SessionUsage::default())) };
        // Taken out while the database is read (no lock across an await); a concurrent update
        // of the same session rebuilds its own, which is only slower.
        let cached = self.running.lock().expect("billing lock").remove(&row.id);
        let mut running = match cached {
            Some(running) => running,
            None => match LiveSession::start(&row.tariff, start) {
                Ok(live) => Running { live, last_row: 0, caught_up: false, last: start },
                Err(e) => {
                    tracing::error!(error = %e, session = %row.id, "cannot price from samples; pricing by totals");
                    return Ok(by_totals(usage(row)));
                }
            },
        };
        // A running session's values all come through here as `fresh` ones: with them in hand,
        // the database is read only to catch up (a new entry, or values stored without a change).
        if !running.caught_up || fresh.is_empty() {
            for (stored_row, at, values) in store.meter_values_after(&row.id, running.last_row).await? {
                running.last_row = stored_row;
                running.push(at, &values);
            }
            running.caught_up = true;
        }
        for (at, values) in fresh {
            running.push(*at, values);
        }
        let billed = Billed { cost: running.live.cost(), parking_seconds: running.live.usage().parking_seconds };
        self.running.lock().expect("billing lock").insert(row.id.clone(), running);
        Ok(billed)
    }

    /// The bill of a finished session: every stored sample in the charger's time order, from
    /// the start reading to the stop reading. Ends the session's live pricing.
    pub async fn final_pricing(&self, store: &Store, row: &SessionRow) -> Result<Option<PricedSession>, StoreError> {
        self.running.lock().expect("billing lock").remove(&row.id);
        let (Some(start), Some(stopped_at), Some(stop_wh)) = (start_sample(row), row.stopped_at, row.meter_stop_wh) else {
            return Ok(None);
        };
        let mut values = store.meter_values_after(&row.id, 0).await?;
        values.sort_by_key(|(stored_row, at, _)| (*at, *stored_row));
        let mut samples = vec![start];
        for (_, at, values) in &values {
            let last = *samples.last().expect("the start sample");
            if *at < last.at || *at > stopped_at {
                continue;
            }
            if let Some(sample) = sample_of(*at, values, &last) {
                samples.push(sample);
            }
        }
        let last = *samples.last().expect("the start sample");
        samples.push(MeterSample::charging(stopped_at.max(last.at), stop_wh.max(last.energy_wh)));
        match chargekit_model::price_session(&row.tariff, &samples) {
            Ok(priced) => Ok(Some(priced)),
            Err(e) => {
                tracing::error!(error = %e, session = %row.id, "cannot price the finished session from samples");
                Ok(None)
            }
        }
    }
}

impl Running {
    /// Prices a meter value. One older than the last priced (a replay out of order) waits for
    /// the bill, which sorts them all; one at the same instant (a fresh value read back once
    /// stored) adds nothing.
    fn push(&mut self, at: OffsetDateTime, values: &[SampledValue]) {
        if at < self.last.at {
            return;
        }
        if let Some(sample) = sample_of(at, values, &self.last)
            && self.live.push(sample).is_ok()
        {
            self.last = sample;
        }
    }
}

/// The session's first sample: the charger's start time and meter reading.
fn start_sample(row: &SessionRow) -> Option<MeterSample> {
    Some(MeterSample::charging(row.started_at?, row.meter_start_wh?))
}

/// What the session used so far, from the charger's meter and clock: energy since the start
/// reading, the time since the start (to the stop, or the latest reading) less the time parked.
pub(crate) fn usage(row: &SessionRow) -> SessionUsage {
    let energy_wh = match (row.meter_start_wh, row.meter_stop_wh.or(row.meter_last_wh)) {
        (Some(start), Some(latest)) => (latest - start).max(0),
        _ => 0,
    };
    let elapsed = elapsed_seconds(row);
    let parking_seconds = row.parking_seconds.clamp(0, elapsed);
    SessionUsage { energy_wh, charging_seconds: elapsed - parking_seconds, parking_seconds }
}

/// Seconds from the charger's start to its stop, or to its latest reading.
pub(crate) fn elapsed_seconds(row: &SessionRow) -> i64 {
    match (row.started_at, row.stopped_at.or(row.last_meter_at)) {
        (Some(start), Some(latest)) => (latest - start).whole_seconds().max(0),
        _ => 0,
    }
}
