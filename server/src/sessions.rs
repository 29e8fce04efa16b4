//! Charging sessions: the driver's commands (start, stop) and the charger's reports
//! (StartTransaction, MeterValues, StopTransaction) meet here.
//!
//! Every change reprices the session with [`chargekit_model::price`] over the energy and the
//! charging time the charger reported, so the live cost the app shows and the final cost are
//! the same function of the same numbers. Every stored change is published to the live hub.

use std::sync::Arc;

use chargekit_model::ocpp::messages::*;
use chargekit_model::{EvseId, Session, SessionStatus, SessionUsage, price};
use sqlx::types::Json;
use uuid::Uuid;

use crate::AppState;
use crate::error::AppError;
use crate::ocpp::registry::CallFailure;
use crate::store::{DriverRow, NewSession, SessionRow};

/// The session service, borrowed from the app state.
pub struct Sessions<'a> {
    state: &'a Arc<AppState>,
}

impl<'a> Sessions<'a> {
    pub fn new(state: &'a Arc<AppState>) -> Self {
        Self { state }
    }

    /// Starts charging for `driver` at `evse_id`. With an idempotency key, a retried request
    /// returns the session the first one created instead of starting another.
    pub async fn start(&self, driver: &DriverRow, evse_id: &EvseId, idempotency_key: Option<&str>) -> Result<Session, AppError> {
        let store = &self.state.store;
        if let Some(key) = idempotency_key
            && let Some(existing) = store.session_by_idempotency_key(&driver.id, key).await?
        {
            return Ok(view(&existing));
        }
        let evse = store.evse(evse_id).await?.ok_or_else(|| {
            AppError::not_found(format!("No charger has the EVSE ID {evse_id}. Check the ID on the charger's label."))
        })?;
        let connector_id = u32::try_from(evse.connector_id).map_err(AppError::internal)?;
        // From here on, the ID as the charger's operator wrote it.
        let evse_id = &EvseId::parse(&evse.evse_id).map_err(AppError::internal)?;
        let link = self
            .state
            .chargers
            .get(&evse.charger_id)
            .ok_or_else(|| AppError::charger_offline(evse_id.as_str()))?;
        if store.active_session_on(&evse.charger_id, connector_id).await?.is_some() {
            return Err(AppError::conflict(format!("The charger {evse_id} is already in use.")));
        }

        let id = Uuid::new_v4().to_string();
        let tariff = evse.tariff.0;
        let inserted = store
            .insert_session(&NewSession {
                id: &id,
                driver_id: &driver.id,
                evse_id: evse_id.as_str(),
                charger_id: &evse.charger_id,
                connector_id,
                id_tag: &driver.app_id_tag,
                idempotency_key,
                cost: &price(&tariff, &SessionUsage::default()),
                tariff: &tariff,
            })
            .await?;
        if !inserted {
            // A concurrent retry with the same key won the race; answer with its session.
            let key = idempotency_key.unwrap_or_default();
            let existing = store.session_by_idempotency_key(&driver.id, key).await?;
            return existing.map(|row| view(&row)).ok_or_else(|| AppError::internal("idempotent insert lost its row"));
        }
        let created = store.session(&id).await?.ok_or_else(|| AppError::internal("new session vanished"))?;
        self.state.live.publish(&view(&created));

        let request = RemoteStartTransactionRequest { connector_id: Some(connector_id), id_tag: driver.app_id_tag.clone() };
        let answer: Result<RemoteStartStopResponse, _> = link
            .call(action::REMOTE_START_TRANSACTION, &request, self.state.config.charger_call_timeout)
            .await;
        match answer {
            Ok(RemoteStartStopResponse { status: RemoteStartStopStatus::Accepted }) => {
                self.watch_start(id.clone());
                let current = store.session(&id).await?.ok_or_else(|| AppError::internal("session vanished"))?;
                Ok(view(&current))
            }
            Ok(_) => {
                self.fail(&id, "The charger refused to start.").await?;
                Err(AppError::charger_rejected("The charger refused to start charging. Try again or use another charger."))
            }
            Err(failure) => {
                self.fail(&id, "The charger did not answer the start request.").await?;
                Err(charger_failure(&failure, evse_id.as_str(), "start"))
            }
        }
    }

    /// Stops the driver's session. Stopping a finished session returns it unchanged.
    pub async fn stop(&self, driver_id: &str, session_id: &str) -> Result<Session, AppError> {
        let row = self.owned(driver_id, session_id).await?;
        match row.status() {
            SessionStatus::Completed | SessionStatus::Failed => return Ok(view(&row)),
            SessionStatus::Starting => {
                let failed = self.fail(session_id, "Cancelled before charging started.").await?;
                return failed.map(|r| view(&r)).ok_or_else(|| AppError::not_found("No such session."));
            }
            SessionStatus::Charging | SessionStatus::Stopping => {}
        }
        let transaction_id = row.transaction_id.ok_or_else(|| AppError::internal("charging session without transaction"))?;
        let link = self.state.chargers.get(&row.charger_id).ok_or_else(|| AppError::charger_offline(&row.evse_id))?;
        let answer: Result<RemoteStartStopResponse, _> = link
            .call(
                action::REMOTE_STOP_TRANSACTION,
                &RemoteStopTransactionRequest { transaction_id },
                self.state.config.charger_call_timeout,
            )
            .await;
        match answer {
            Ok(RemoteStartStopResponse { status: RemoteStartStopStatus::Accepted }) => {
                let updated = self
                    .update(session_id, |row| {
                        let charging = row.status() == SessionStatus::Charging;
                        if charging {
                            row.set_status(SessionStatus::Stopping);
                        }
                        charging
                    })
                    .await?;
                updated.map(|r| view(&r)).ok_or_else(|| AppError::not_found("No such session."))
            }
            Ok(_) => Err(AppError::charger_rejected("The charger refused to stop. Stop it at the charger or unplug the car.")),
            Err(failure) => Err(charger_failure(&failure, &row.evse_id, "stop")),
        }
    }

    /// One of the driver's sessions; someone else's answers 404, so existence does not leak.
    pub async fn owned(&self, driver_id: &str, session_id: &str) -> Result<SessionRow, AppError> {
        self.state
            .store
            .session(session_id)
            .await?
            .filter(|row| row.driver_id == driver_id)
            .ok_or_else(|| AppError::not_found("No such session."))
    }

    /// StartTransaction: matched to the session waiting on that connector with that idTag
    /// (OCPP 1.6 has no id linking a remote start to the transaction that follows it).
    pub async fn on_start_transaction(&self, charger_id: &str, req: StartTransactionRequest) -> Result<StartTransactionResponse, sqlx::Error> {
        let store = &self.state.store;
        let transaction_id = store.next_transaction_id().await?;
        let waiting = store
            .active_session_on(charger_id, req.connector_id)
            .await?
            .filter(|row| row.status() == SessionStatus::Starting && row.id_tag == req.id_tag);
        let Some(waiting) = waiting else {
            tracing::warn!(%charger_id, connector = req.connector_id, "StartTransaction matches no remote start");
            return Ok(StartTransactionResponse {
                id_tag_info: IdTagInfo::with_status(AuthorizationStatus::Invalid),
                transaction_id,
            });
        };
        self.update(&waiting.id, |row| {
            if row.status() != SessionStatus::Starting {
                return false;
            }
            row.set_status(SessionStatus::Charging);
            row.transaction_id = Some(transaction_id);
            row.meter_start_wh = Some(req.meter_start);
            row.meter_last_wh = Some(req.meter_start);
            row.started_at = Some(req.timestamp);
            row.last_meter_at = Some(req.timestamp);
            true
        })
        .await?;
        Ok(StartTransactionResponse { id_tag_info: IdTagInfo::with_status(AuthorizationStatus::Accepted), transaction_id })
    }

    pub async fn on_meter_values(&self, charger_id: &str, req: MeterValuesRequest) -> Result<MeterValuesResponse, sqlx::Error> {
        let store = &self.state.store;
        let session = match req.transaction_id {
            Some(transaction_id) => store.session_by_transaction(charger_id, transaction_id).await?,
            None => store.active_session_on(charger_id, req.connector_id).await?,
        };
        let Some(session) = session.filter(|s| s.transaction_id.is_some() && !s.status().is_final()) else {
            return Ok(MeterValuesResponse {});
        };
        let mut samples: Vec<&MeterValue> = req.meter_value.iter().collect();
        samples.sort_by_key(|m| m.timestamp);
        self.update(&session.id, |row| {
            let mut changed = false;
            for sample in &samples {
                changed |= apply_sample(row, sample);
            }
            changed
        })
        .await?;
        Ok(MeterValuesResponse {})
    }

    pub async fn on_stop_transaction(&self, charger_id: &str, req: StopTransactionRequest) -> Result<StopTransactionResponse, sqlx::Error> {
        let session = self.state.store.session_by_transaction(charger_id, req.transaction_id).await?;
        match session {
            Some(session) => {
                self.update(&session.id, |row| {
                    if row.status().is_final() {
                        return false;
                    }
                    let start = row.meter_start_wh.unwrap_or(req.meter_stop);
                    let stop = req.meter_stop.max(start);
                    row.meter_stop_wh = Some(stop);
                    row.meter_last_wh = Some(stop);
                    row.stopped_at = Some(req.timestamp);
                    row.power_w = 0;
                    row.stop_reason = req.reason.clone();
                    row.set_status(SessionStatus::Completed);
                    true
                })
                .await?;
            }
            // Accept anyway: the charger must be able to delete the transaction from its queue.
            None => tracing::warn!(%charger_id, transaction_id = req.transaction_id, "StopTransaction for an unknown transaction"),
        }
        Ok(StopTransactionResponse { id_tag_info: Some(IdTagInfo::with_status(AuthorizationStatus::Accepted)) })
    }

    /// Marks a session that never started as failed.
    async fn fail(&self, session_id: &str, reason: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        self.update(session_id, |row| {
            if row.status() != SessionStatus::Starting {
                return false;
            }
            row.set_status(SessionStatus::Failed);
            row.failure_reason = Some(reason.to_owned());
            true
        })
        .await
    }

    /// Fails the session if the charger accepted the remote start but never started.
    fn watch_start(&self, session_id: String) {
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(state.config.start_timeout).await;
            let reason = "The charger did not start charging. Check that the cable is plugged in and try again.";
            if let Err(e) = Sessions::new(&state).fail(&session_id, reason).await {
                tracing::error!(error = %e, %session_id, "could not fail a session that never started");
            }
        });
    }

    /// Reads, changes (when `change` says it did), reprices and saves a session, retrying if a
    /// concurrent writer got there first; publishes the stored result.
    async fn update(&self, session_id: &str, change: impl Fn(&mut SessionRow) -> bool) -> Result<Option<SessionRow>, sqlx::Error> {
        loop {
            let Some(mut row) = self.state.store.session(session_id).await? else {
                return Ok(None);
            };
            if !change(&mut row) {
                return Ok(Some(row));
            }
            row.cost = Json(price(&row.tariff, &usage(&row)));
            if let Some(saved) = self.state.store.save_session(&row).await? {
                self.state.live.publish(&view(&saved));
                return Ok(Some(saved));
            }
        }
    }
}

/// Applies one MeterValue: the energy register never goes back, and an older sample than the
/// newest one applied does not move the session.
fn apply_sample(row: &mut SessionRow, sample: &MeterValue) -> bool {
    if row.last_meter_at.is_some_and(|last| sample.timestamp < last) {
        return false;
    }
    let energy = sampled(sample, MEASURAND_ENERGY_IMPORT);
    let power = sampled(sample, MEASURAND_POWER_IMPORT);
    if energy.is_none() && power.is_none() {
        return false;
    }
    if let Some(wh) = energy {
        let wh = wh.round() as i64;
        row.meter_last_wh = Some(row.meter_last_wh.map_or(wh, |last| last.max(wh)));
    }
    if let Some(w) = power {
        row.power_w = w.round().max(0.0) as i64;
    }
    row.last_meter_at = Some(sample.timestamp);
    true
}

/// A measurand's value in its base unit: the total if the charger sent one, else the sum of
/// its phases.
fn sampled(sample: &MeterValue, measurand: &str) -> Option<f64> {
    let values = sample.sampled_value.iter().filter(|v| v.measurand() == measurand);
    let (totals, phases): (Vec<_>, Vec<_>) = values.partition(|v| v.phase.is_none());
    if let Some(total) = totals.iter().find_map(|v| v.in_base_unit()) {
        return Some(total);
    }
    let per_phase: Vec<f64> = phases.iter().filter_map(|v| v.in_base_unit()).collect();
    (!per_phase.is_empty()).then(|| per_phase.iter().sum())
}

/// What the session used so far, from the charger's meter and clock.
fn usage(row: &SessionRow) -> SessionUsage {
    let energy_wh = match (row.meter_start_wh, row.meter_stop_wh.or(row.meter_last_wh)) {
        (Some(start), Some(latest)) => (latest - start).max(0),
        _ => 0,
    };
    let charging_seconds = match (row.started_at, row.stopped_at.or(row.last_meter_at)) {
        (Some(start), Some(latest)) => (latest - start).whole_seconds().max(0),
        _ => 0,
    };
    SessionUsage { energy_wh, charging_seconds, parking_seconds: 0 }
}

/// The API view of a stored session.
pub fn view(row: &SessionRow) -> Session {
    let usage = usage(row);
    Session {
        id: row.id.parse().unwrap_or_default(),
        // Only EVSE IDs that parsed are ever stored.
        evse_id: EvseId::parse(&row.evse_id).expect("stored EVSE ID is valid"),
        status: row.status(),
        created_at: row.created_at,
        started_at: row.started_at,
        stopped_at: row.stopped_at,
        energy_wh: usage.energy_wh,
        power_w: row.power_w,
        duration_seconds: usage.charging_seconds,
        cost: row.cost.0.clone(),
        tariff: row.tariff.0.clone(),
        failure_reason: row.failure_reason.clone(),
        version: row.version,
    }
}

fn charger_failure(failure: &CallFailure, evse_id: &str, command: &str) -> AppError {
    match failure {
        CallFailure::Offline => AppError::charger_offline(evse_id),
        CallFailure::Timeout => AppError::charger_timeout(format!(
            "The charger {evse_id} did not answer the {command} request in time. Please try again."
        )),
        CallFailure::CallError { .. } | CallFailure::BadResponse(_) => {
            tracing::warn!(%failure, evse_id, command, "charger answered a command with an error");
            AppError::charger_rejected(format!("The charger {evse_id} could not {command} charging."))
        }
    }
}
