//! Charging sessions: the driver's commands (start, stop) and the charger's reports
//! (StartTransaction, MeterValues, StopTransaction) meet here.
//!
//! Every change reprices the session with [`chargekit_model::price`] over the energy and the
//! charging time the charger reported, so the live cost the app shows and the final cost are
//! the same function of the same numbers. Every stored change is published to the live hub.
//!
//! Commands fail with a [`SessionError`], which says what went wrong in the domain's words;
//! the API turns it into a status and a sentence (`api/session_errors.rs`).

use std::sync::Arc;

use chargekit_model::ocpp::messages::*;
use chargekit_model::{EvseId, MeterSample, Session, SessionStatus, SessionUsage, meter, price};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppState;
use crate::authorization::{self, AtCharger};
use crate::billing::usage;
use crate::receipts;
use chargekit_model::receipt::SignedReceipt;
use crate::error::AppError;
use crate::ocpp::registry::{CallFailure, ChargerLink};
use crate::plausibility::{Limits, Reading};
use crate::store::{DriverRow, EvseRow, HandledMessage, Inserted, NewSession, RefusedTransaction, SessionRow, StartedSession};
use chargekit_model::api::PaymentChoice;

/// A command the server sends a charger for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Stop,
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Start => "start",
            Command::Stop => "stop",
        })
    }
}

/// Why a driver's or an operator's command on a session did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No EVSE has this ID (as the driver gave it).
    #[error("no EVSE has the ID {0}")]
    UnknownEvse(EvseId),
    /// The connector has an unfinished session (this driver's or another's).
    #[error("the connector of {0} has a session going on")]
    ConnectorBusy(EvseId),
    /// The EVSE's charger holds no connection now.
    #[error("the charger of {0} is offline")]
    ChargerOffline(String),
    /// The charger answered the command with Rejected.
    #[error("the charger of {evse_id} refused to {command}")]
    ChargerRefused { evse_id: String, command: Command },
    /// The charger answered the command with an OCPP error or an answer that does not fit.
    #[error("the charger of {evse_id} could not {command}")]
    ChargerFailed { evse_id: String, command: Command },
    /// The charger did not answer the command within `charger_call_timeout`.
    #[error("the charger of {evse_id} did not answer the {command} request in time")]
    Timeout { evse_id: String, command: Command },
    /// No session has this id.
    #[error("no such session")]
    UnknownSession,
    /// The session is another driver's (answered like an unknown one, so existence does not leak).
    #[error("the session is another driver's")]
    NotYours,
    /// An Idempotency-Key already used for a start that asked for something else.
    #[error("the idempotency key was used for another start")]
    KeyReused,
    /// An operator's review of a session that is not held for review.
    #[error("the session is not held for review")]
    NotUnderReview,
    /// The payment could not be planned or held; the payments service already said why, to the
    /// driver, in its own words.
    #[error("payment: {}", .0.message)]
    Payment(AppError),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    /// Stored data that cannot be (a row gone between two reads, an id that does not parse).
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
}

impl SessionError {
    fn inconsistent(what: impl std::fmt::Display) -> Self {
        Self::Inconsistent(what.to_string())
    }

    /// The command's failure as the driver hears it.
    fn of_call(failure: &CallFailure, evse_id: &str, command: Command) -> Self {
        let evse_id = evse_id.to_owned();
        match failure {
            CallFailure::Offline => Self::ChargerOffline(evse_id),
            CallFailure::Timeout => Self::Timeout { evse_id, command },
            CallFailure::CallError { .. } | CallFailure::BadResponse(_) => {
                tracing::warn!(failure = %crate::ocpp::log_safe::untrusted(&failure), evse_id, %command, "charger answered a command with an error");
                Self::ChargerFailed { evse_id, command }
            }
        }
    }
}

/// Where an app start goes: the EVSE as stored, its connector, and the charger's connection.
struct StartTarget {
    evse: EvseRow,
    /// The ID as the charger's operator wrote it.
    evse_id: EvseId,
    connector_id: u32,
    link: Arc<ChargerLink>,
}

/// The new session of an app start, as the driver asked for it.
struct NewStart<'a> {
    session_id: &'a str,
    driver: &'a DriverRow,
    idempotency_key: Option<&'a str>,
    /// [`start_request`] of the start, to tell a retry from another start under the same key.
    request: &'a str,
}

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
    ///
    /// A paid start (`payment`, else the driver's default method) holds the money before the
    /// charger is asked: a refused payment is the answer, and the charger never hears of it.
    pub async fn start(
        &self,
        driver: &DriverRow,
        evse_id: &EvseId,
        payment: Option<&PaymentChoice>,
        idempotency_key: Option<&str>,
    ) -> Result<Session, SessionError> {
        let request = start_request(evse_id, payment);
        if let Some(first) = self.retried_start(driver, idempotency_key, &request).await? {
            return Ok(first);
        }
        let target = self.start_target(evse_id).await?;
        let plan = self.state.payments().plan(&driver.id, payment).await.map_err(SessionError::Payment)?;
        let session_id = Uuid::new_v4().to_string();
        if let Some(plan) = &plan {
            self.state.payments().hold_for_start(&driver.id, &session_id, plan, target.evse.tariff.0.currency).await.map_err(SessionError::Payment)?;
        }
        let new = NewStart { session_id: &session_id, driver, idempotency_key, request: &request };
        if let Some(first) = self.insert_starting(&target, &new).await? {
            return Ok(first);
        }
        self.ask_charger_to_start(&target, driver, &session_id).await
    }

    /// The session a start with an already used Idempotency-Key made, if any.
    async fn retried_start(&self, driver: &DriverRow, idempotency_key: Option<&str>, request: &str) -> Result<Option<Session>, SessionError> {
        let Some(key) = idempotency_key else { return Ok(None) };
        match self.state.store.session_by_idempotency_key(&driver.id, key).await? {
            Some(existing) => self.same_start(&existing, request).await.map(Some),
            None => Ok(None),
        }
    }

    /// The EVSE a start is for, provided its charger is online and its connector free.
    async fn start_target(&self, evse_id: &EvseId) -> Result<StartTarget, SessionError> {
        let store = &self.state.store;
        let evse = store.evse(evse_id).await?.ok_or_else(|| SessionError::UnknownEvse(evse_id.clone()))?;
        let connector_id = u32::try_from(evse.connector_id).map_err(SessionError::inconsistent)?;
        let evse_id = EvseId::parse(&evse.evse_id).map_err(SessionError::inconsistent)?;
        let link = self.state.chargers.registry.get(&evse.charger_id).ok_or_else(|| SessionError::ChargerOffline(evse_id.to_string()))?;
        if store.active_session_on(&evse.charger_id, connector_id).await?.is_some() {
            return Err(SessionError::ConnectorBusy(evse_id));
        }
        Ok(StartTarget { evse, evse_id, connector_id, link })
    }

    /// Stores the new session, `starting`, and publishes it. `Some` is the answer already: a
    /// concurrent retry with the same key that won the race. Whatever is not stored gives its
    /// hold back.
    async fn insert_starting(&self, target: &StartTarget, new: &NewStart<'_>) -> Result<Option<Session>, SessionError> {
        let store = &self.state.store;
        let tariff = &target.evse.tariff.0;
        let inserted = store
            .insert_session(&NewSession {
                id: new.session_id,
                driver_id: &new.driver.id,
                evse_id: target.evse_id.as_str(),
                charger_id: &target.evse.charger_id,
                connector_id: target.connector_id,
                id_tag: &new.driver.app_id_tag,
                idempotency_key: new.idempotency_key,
                start_request: new.request,
                cost: &price(tariff, &SessionUsage::default()),
                tariff,
            })
            .await;
        let payments = self.state.payments();
        let settle_hold = || payments.settle(new.session_id);
        match inserted {
            Ok(Inserted::Yes) => {}
            Ok(Inserted::KeyUsed) => {
                settle_hold().await; // this attempt's hold goes back
                let key = new.idempotency_key.unwrap_or_default();
                let existing = store.session_by_idempotency_key(&new.driver.id, key).await?;
                let existing = existing.ok_or_else(|| SessionError::inconsistent("idempotent insert lost its row"))?;
                return self.same_start(&existing, new.request).await.map(Some);
            }
            Ok(Inserted::ConnectorBusy) => {
                settle_hold().await; // another driver's start won the connector
                return Err(SessionError::ConnectorBusy(target.evse_id.clone()));
            }
            Err(e) => {
                settle_hold().await; // no session: the hold goes back
                return Err(e.into());
            }
        }
        let created = store.session(new.session_id).await?.ok_or_else(|| SessionError::inconsistent("new session vanished"))?;
        self.state.clients.live.publish(&view(&created));
        Ok(None)
    }

    /// Sends RemoteStartTransaction for a stored `starting` session: accepted, the session
    /// waits for the charger's StartTransaction (watched for the start window); otherwise it
    /// fails now with the reason.
    async fn ask_charger_to_start(&self, target: &StartTarget, driver: &DriverRow, session_id: &str) -> Result<Session, SessionError> {
        let request = RemoteStartTransactionRequest { connector_id: Some(target.connector_id), id_tag: driver.app_id_tag.clone() };
        let answer: Result<RemoteStartStopResponse, _> = target
            .link
            .call(action::REMOTE_START_TRANSACTION, &request, self.state.config.charger_call_timeout)
            .await;
        let evse_id = target.evse_id.to_string();
        match answer {
            Ok(RemoteStartStopResponse { status: RemoteStartStopStatus::Accepted }) => {
                self.watch_start(session_id.to_owned());
                let current = self.state.store.session(session_id).await?.ok_or_else(|| SessionError::inconsistent("session vanished"))?;
                Ok(view(&current))
            }
            Ok(_) => {
                self.fail(session_id, "The charger refused to start.").await?;
                Err(SessionError::ChargerRefused { evse_id, command: Command::Start })
            }
            Err(failure) => {
                self.fail(session_id, "The charger did not answer the start request.").await?;
                Err(SessionError::of_call(&failure, &evse_id, Command::Start))
            }
        }
    }

    /// A start retried with an idempotency key already used: the first session if it asked for
    /// the same, else a refusal (another EVSE or payment choice under the same key is another
    /// request, not a retry).
    async fn same_start(&self, existing: &SessionRow, request: &str) -> Result<Session, SessionError> {
        match self.state.store.start_request_of(&existing.id).await? {
            Some(first) if first != request => Err(SessionError::KeyReused),
            _ => Ok(view(existing)),
        }
    }

    /// Stops the driver's session. Stopping a finished session returns it unchanged.
    pub async fn stop(&self, driver_id: &str, session_id: &str) -> Result<Session, SessionError> {
        let row = self.owned(driver_id, session_id).await?;
        self.stop_row(row).await
    }

    /// Asks the charger to stop a session (the driver's stop, or the server's at the hold).
    async fn stop_row(&self, row: SessionRow) -> Result<Session, SessionError> {
        let session_id = row.id.as_str();
        match row.status() {
            SessionStatus::Completed | SessionStatus::Failed | SessionStatus::UnderReview => return Ok(view(&row)),
            SessionStatus::Starting => {
                let failed = self.fail(session_id, "Cancelled before charging started.").await?;
                return failed.map(|r| view(&r)).ok_or(SessionError::UnknownSession);
            }
            SessionStatus::Charging | SessionStatus::Stopping => {}
        }
        let transaction_id = row.transaction_id.ok_or_else(|| SessionError::inconsistent("charging session without transaction"))?;
        let link = self.state.chargers.registry.get(&row.charger_id).ok_or_else(|| SessionError::ChargerOffline(row.evse_id.clone()))?;
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
                updated.map(|r| view(&r)).ok_or(SessionError::UnknownSession)
            }
            Ok(_) => {
                // A repeated stop the charger turns down because it is already ending the
                // transaction (its StopTransaction on the way) is no failure for the driver.
                let current = self.state.store.session(session_id).await?;
                match current {
                    Some(current) if row.status() == SessionStatus::Stopping || current.status().is_final() => Ok(view(&current)),
                    _ => Err(SessionError::ChargerRefused { evse_id: row.evse_id.clone(), command: Command::Stop }),
                }
            }
            Err(failure) => Err(SessionError::of_call(&failure, &row.evse_id, Command::Stop)),
        }
    }

    /// One of the driver's sessions; someone else's is [`SessionError::NotYours`].
    pub async fn owned(&self, driver_id: &str, session_id: &str) -> Result<SessionRow, SessionError> {
        match self.state.store.session(session_id).await? {
            Some(row) if row.driver_id == driver_id => Ok(row),
            Some(_) => Err(SessionError::NotYours),
            None => Err(SessionError::UnknownSession),
        }
    }

    /// StartTransaction. Matched first to a remote start waiting on that connector with that
    /// idTag (OCPP 1.6 has no id linking the two) within the start window; otherwise the charger
    /// started on its own — a card, a car, or a start made while it was offline and replayed
    /// now with its old timestamp — and the token decides (an app idTag never does: it is valid
    /// only with its remote start). A start by card or car is paid like one from the app: the
    /// hold is placed before the charger is told to go on. A refused start is remembered, so
    /// its StopTransaction is not billed unless the token is valid by then.
    pub async fn on_start_transaction(&self, charger_id: &str, req: StartTransactionRequest) -> Result<StartTransactionResponse, sqlx::Error> {
        let store = &self.state.store;
        let accepted = |transaction_id| StartTransactionResponse { id_tag_info: IdTagInfo::with_status(AuthorizationStatus::Accepted), transaction_id };
        // The same start again under a new message id (a charger retrying after a reconnect).
        if let Some(first) = store.session_by_start(charger_id, req.connector_id, req.timestamp, req.meter_start).await?
            && let Some(transaction_id) = first.transaction_id
        {
            return Ok(accepted(transaction_id));
        }
        let transaction_id = store.next_transaction_id().await?;
        // A start dated far from the server's clock is accepted (the car is charging) but its
        // session is held for review.
        let doubt = Limits::of(self.state, charger_id, req.connector_id).check_time(req.timestamp).err();
        let window = time::Duration::try_from(self.state.config.start_timeout).unwrap_or(time::Duration::MINUTE);
        let waiting = store.active_session_on(charger_id, req.connector_id).await?.filter(|row| {
            row.status() == SessionStatus::Starting
                && row.id_tag.eq_ignore_ascii_case(&req.id_tag)
                && OffsetDateTime::now_utc() - row.created_at <= window
        });
        if let Some(waiting) = waiting {
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
                row.review_reason.clone_from(&doubt);
                true
            })
            .await?;
            return Ok(accepted(transaction_id));
        }

        let at = AtCharger { charger_id, connector_id: Some(req.connector_id) };
        let decision = authorization::decide(self.state, &req.id_tag, at, None).await?;
        let (AuthorizationStatus::Accepted, Some(token)) = (decision.status, &decision.token) else {
            // The charger ends the transaction (StopTransactionOnInvalidId); its report is kept.
            return self.refuse_start(charger_id, &req, transaction_id, decision.id_tag_info()).await;
        };
        let Some(evse) = store.evse_on(charger_id, req.connector_id).await? else {
            tracing::warn!(%charger_id, connector = req.connector_id, "StartTransaction on a connector with no EVSE configured");
            return self.refuse_start(charger_id, &req, transaction_id, IdTagInfo::with_status(AuthorizationStatus::Invalid)).await;
        };
        let id = Uuid::new_v4().to_string();
        let tariff = evse.tariff.0;
        if let Err(why) = self.hold_for_charger_start(&token.driver_id, &id, tariff.currency).await {
            tracing::warn!(%charger_id, session = %id, why = %crate::ocpp::log_safe::untrusted(&why), "a start by card or car cannot be paid; refused");
            return self.refuse_start(charger_id, &req, transaction_id, IdTagInfo::with_status(AuthorizationStatus::Invalid)).await;
        }
        self.take_connector(charger_id, req.connector_id).await?;
        let inserted = store
            .insert_started_session(&StartedSession {
                id: &id,
                driver_id: &token.driver_id,
                evse_id: &evse.evse_id,
                charger_id,
                connector_id: req.connector_id,
                id_tag: &token.id_tag,
                auth_method: decision.method,
                transaction_id,
                meter_start_wh: req.meter_start,
                started_at: req.timestamp,
                tariff: &tariff,
                cost: &price(&tariff, &SessionUsage::default()),
                created_at: if doubt.is_some() { OffsetDateTime::now_utc() } else { req.timestamp },
                review_reason: doubt.as_deref(),
            })
            .await;
        if let Err(e) = inserted {
            self.state.payments().settle(&id).await; // not stored: the hold goes back
            return Err(e);
        }
        if let Some(created) = store.session(&id).await? {
            self.state.clients.live.publish(&view(&created));
        }
        Ok(StartTransactionResponse { id_tag_info: decision.id_tag_info(), transaction_id })
    }

    /// Answers a StartTransaction the server does not authorize, and remembers it for its stop.
    async fn refuse_start(
        &self,
        charger_id: &str,
        req: &StartTransactionRequest,
        transaction_id: i64,
        id_tag_info: IdTagInfo,
    ) -> Result<StartTransactionResponse, sqlx::Error> {
        let refused = RefusedTransaction {
            charger_id: charger_id.to_owned(),
            transaction_id,
            connector_id: i64::from(req.connector_id),
            id_tag: req.id_tag.clone(),
            status: authorization::status_name(id_tag_info.status).to_owned(),
            meter_start_wh: req.meter_start,
            started_at: req.timestamp,
        };
        self.state.store.insert_refused_transaction(&refused).await?;
        Ok(StartTransactionResponse { id_tag_info, transaction_id })
    }

    /// The hold for a session a charger started (card, car, or a stop the server hears first),
    /// on the driver's default method, else the wallet; nothing where unpaid charging is allowed.
    async fn hold_for_charger_start(&self, driver_id: &str, session_id: &str, currency: chargekit_model::Currency) -> Result<(), String> {
        let payments = self.state.payments();
        let plan = payments.plan(driver_id, None).await.map_err(|e| e.message)?;
        match plan {
            Some(plan) => payments.hold_for_start(driver_id, session_id, &plan, currency).await.map_err(|e| e.message),
            None => Ok(()),
        }
    }

    /// A charger started a transaction on a connector the server still holds a session for:
    /// the charger knows its connector. A remote start still waiting there lost the race; a
    /// session still charging there missed its StopTransaction, and is held for review at its
    /// last reading (never billed beyond it).
    async fn take_connector(&self, charger_id: &str, connector_id: u32) -> Result<(), sqlx::Error> {
        let Some(active) = self.state.store.active_session_on(charger_id, connector_id).await? else { return Ok(()) };
        if active.status() == SessionStatus::Starting {
            self.fail(&active.id, "Someone else started charging at this charger first.").await?;
            return Ok(());
        }
        let superseded = self
            .update(&active.id, |row| {
                if row.status().is_final() || row.status() == SessionStatus::Starting {
                    return false;
                }
                row.meter_stop_wh = row.meter_last_wh.or(row.meter_start_wh);
                row.stopped_at = row.last_meter_at.or(row.started_at);
                row.power_w = 0;
                row.review_reason.get_or_insert_with(|| "the charger started a new transaction on this connector without stopping this one".to_owned());
                row.set_status(SessionStatus::UnderReview);
                true
            })
            .await?;
        if superseded.is_some() {
            tracing::warn!(%charger_id, connector_id, session = %active.id, "a new StartTransaction superseded an unfinished session; held for review");
        }
        Ok(())
    }

    /// MeterValues. The values, the session they move and the answer (for retransmissions,
    /// `handled`) are stored in one transaction: one disk sync per message, which is what lets
    /// one server hold thousands of chargers metering every few seconds.
    pub async fn on_meter_values(
        &self,
        charger_id: &str,
        req: MeterValuesRequest,
        handled: Option<(&str, &HandledMessage)>,
    ) -> Result<MeterValuesResponse, sqlx::Error> {
        let store = &self.state.store;
        let session = match req.transaction_id {
            Some(transaction_id) => store.session_by_transaction(charger_id, transaction_id).await?,
            None => store.active_session_on(charger_id, req.connector_id).await?,
        };
        let record_answer = || async {
            match handled {
                Some((message_id, handled)) => store.record_handled_message(charger_id, message_id, handled).await,
                None => Ok(()),
            }
        };
        let Some(session) = session.filter(|s| s.transaction_id.is_some()) else {
            record_answer().await?;
            return Ok(MeterValuesResponse {});
        };
        if session.status().is_final() {
            // Kept for the record; the bill is closed.
            self.keep_meter_values(&session.id, &req.meter_value).await?;
            record_answer().await?;
            return Ok(MeterValuesResponse {});
        }
        let limits = Limits::of(self.state, charger_id, connector_of(&session));
        let screened = screen(&session, &req.meter_value, &limits);
        self.keep_implausible(&session.id, &screened).await?;
        let values = as_stored(&screened.plausible);
        let stored = Stored { meter_values: &values, handled: handled.map(|(id, h)| (charger_id, id, h)) };
        let session_id = session.id.clone();
        let (updated, saved_with_change) = self
            .update_from(Some(session), &session_id, &stored, |row| {
                let mut changed = flag_for_review(row, screened.reason.as_deref());
                for sample in &screened.plausible {
                    changed |= apply_sample(row, sample);
                }
                changed
            })
            .await?;
        if !saved_with_change {
            // Nothing moved the session (old samples, no energy or power): still kept.
            self.keep_meter_values(&session_id, &screened.plausible).await?;
            record_answer().await?;
        }
        if let Some(row) = updated {
            self.stop_at_hold(&row).await?;
        }
        Ok(MeterValuesResponse {})
    }

    /// StopTransaction. The stop reading is checked like any other: one that cannot be right is
    /// not billed (the session ends at its last plausible reading) and holds the session for
    /// review. A stop for a transaction the server refused, or never saw start, is billed only
    /// if its idTag is valid now; otherwise it is kept as an orphan for the operator. The answer
    /// carries the stopping idTag's real status (none when the stop names no idTag).
    pub async fn on_stop_transaction(&self, charger_id: &str, req: StopTransactionRequest) -> Result<StopTransactionResponse, sqlx::Error> {
        let store = &self.state.store;
        let session = match store.session_by_transaction(charger_id, req.transaction_id).await? {
            Some(session) => session,
            None => match self.session_of_unknown_stop(charger_id, &req).await? {
                Ok(session) => session,
                Err(reason) => {
                    // Answered all the same: the charger must be able to delete the transaction from its queue.
                    tracing::warn!(%charger_id, transaction_id = req.transaction_id, reason = %crate::ocpp::log_safe::untrusted(&reason), "StopTransaction kept as an orphan");
                    let report = serde_json::to_value(&req).unwrap_or_default();
                    store.insert_orphan_transaction(charger_id, req.transaction_id, req.id_tag.as_deref(), &reason, &report).await?;
                    return Ok(StopTransactionResponse { id_tag_info: self.stop_tag_info(req.id_tag.as_deref(), None).await? });
                }
            },
        };
        let id_tag_info = self.stop_tag_info(req.id_tag.as_deref(), Some(&session)).await?;
        let limits = Limits::of(self.state, charger_id, connector_of(&session));
        let screened = screen(&session, &req.transaction_data, &limits);
        self.keep_implausible(&session.id, &screened).await?;
        self.keep_meter_values(&session.id, &screened.plausible).await?;
        let completed = self
            .update(&session.id, |row| {
                if row.status().is_final() {
                    return false;
                }
                flag_for_review(row, screened.reason.as_deref());
                let start = row.meter_start_wh.unwrap_or(req.meter_stop);
                let last = last_reading(row).unwrap_or(Reading { at: req.timestamp, energy_wh: start });
                let stop = Reading { at: req.timestamp, energy_wh: req.meter_stop.max(start) };
                let doubt = row.started_at.and_then(|started_at| limits.check_reading(started_at, last, stop).err());
                // A stop that cannot be right ends the bill at the last reading that can.
                let billed_to = if doubt.is_some() { last } else { stop };
                flag_for_review(row, doubt.as_deref());
                row.meter_stop_wh = Some(billed_to.energy_wh.max(start));
                row.meter_last_wh = row.meter_stop_wh;
                row.stopped_at = Some(billed_to.at);
                row.power_w = 0;
                row.stop_reason = req.reason.clone();
                row.set_status(if row.review_reason.is_some() { SessionStatus::UnderReview } else { SessionStatus::Completed });
                true
            })
            .await?;
        // Capture the final cost and release the rest (only a completed session settles; one
        // held for review waits for the operator).
        self.state.payments().settle(&session.id).await;
        if let Some(done) = completed {
            if done.status() == SessionStatus::UnderReview {
                tracing::warn!(%charger_id, session = %done.id, reason = ?done.review_reason, "session held for review");
            }
            self.issue_receipt(&done).await?;
        }
        Ok(StopTransactionResponse { id_tag_info })
    }

    /// The `idTagInfo` of a StopTransaction: the stopping token's own status (OCPP 1.6), none
    /// when the stop names no idTag. An app idTag is accepted for its own session only.
    async fn stop_tag_info(&self, id_tag: Option<&str>, session: Option<&SessionRow>) -> Result<Option<IdTagInfo>, sqlx::Error> {
        let Some(id_tag) = id_tag else { return Ok(None) };
        let status = match self.state.store.id_token(id_tag).await? {
            None => AuthorizationStatus::Invalid,
            Some(token) if token.kind() == chargekit_model::api::IdTokenKind::App => {
                let own = session.is_some_and(|s| s.id_tag.eq_ignore_ascii_case(&token.id_tag));
                if own { authorization::token_status(&token) } else { AuthorizationStatus::Invalid }
            }
            Some(token) => authorization::token_status(&token),
        };
        Ok(Some(IdTagInfo::with_status(status)))
    }

    /// An operator's decision on a session held for review: `bill` charges what was priced
    /// (never the readings that could not be right, at most the hold) and issues the receipt;
    /// `void` charges nothing and releases the hold.
    pub async fn resolve_review(&self, session_id: &str, bill: bool, operator: &str) -> Result<Session, SessionError> {
        let row = self.state.store.session(session_id).await?.ok_or(SessionError::UnknownSession)?;
        if row.status() != SessionStatus::UnderReview {
            return Err(SessionError::NotUnderReview);
        }
        let note = format!("Not billed: the operator {operator} voided this session after review.");
        let resolved = self
            .update(session_id, |row| {
                if row.status() != SessionStatus::UnderReview {
                    return false;
                }
                if bill {
                    row.set_status(SessionStatus::Completed);
                } else {
                    row.set_status(SessionStatus::Failed);
                    row.failure_reason = Some(note.clone());
                }
                true
            })
            .await?
            .ok_or(SessionError::UnknownSession)?;
        tracing::info!(session = session_id, operator, bill, "review resolved");
        self.state.payments().settle(session_id).await;
        self.issue_receipt(&resolved).await?;
        Ok(view(&resolved))
    }

    /// The receipt of a completed session: signed and kept the first time it is asked for (at
    /// the stop, or by a driver whose app saw the session complete a moment earlier), the same
    /// one after that.
    pub async fn issue_receipt(&self, row: &SessionRow) -> Result<Option<SignedReceipt>, sqlx::Error> {
        let store = &self.state.store;
        if row.status() != SessionStatus::Completed {
            return Ok(None);
        }
        if let Some(existing) = store.receipt(&row.id).await? {
            return Ok(Some(existing));
        }
        let Some(priced) = self.state.money.billing.final_pricing(store, row).await? else {
            tracing::error!(session = %row.id, "a completed session could not be priced for its receipt");
            return Ok(None);
        };
        let receipt = receipts::build(store, row, priced).await?;
        store.insert_receipt(&row.id, &self.state.money.receipts.sign(&receipt)).await?;
        // Two issuers may have raced: both answer with the one that was kept.
        store.receipt(&row.id).await
    }

    /// The session of a StopTransaction whose start the server refused or never heard (a
    /// transaction started while the charger was offline, or in a previous life under an id
    /// the server cannot find): billed only if its idTag is valid now, the charger has the
    /// EVSE, and the driver can pay. `Err` is why not, and the stop becomes an orphan. Its start
    /// comes from the refused StartTransaction, else `transactionData` (the `Transaction.Begin`
    /// reading, else the earliest energy reading), else the stop itself.
    async fn session_of_unknown_stop(&self, charger_id: &str, req: &StopTransactionRequest) -> Result<Result<SessionRow, String>, sqlx::Error> {
        let store = &self.state.store;
        let refused = store.refused_transaction(charger_id, req.transaction_id).await?;
        let why_not = |why: String| match &refused {
            Some(r) => format!("its start was refused ({}), and {why}", r.status),
            None => format!("its start was never seen, and {why}"),
        };
        let Some(id_tag) = refused.as_ref().map(|r| r.id_tag.as_str()).or(req.id_tag.as_deref()) else {
            return Ok(Err(why_not("the stop names no idTag".to_owned())));
        };
        let token = match authorization::valid_now(self.state, id_tag).await? {
            Ok(token) => token,
            Err(why) => return Ok(Err(why_not(why))),
        };
        let evse = match &refused {
            Some(r) => store.evse_on(charger_id, u32::try_from(r.connector_id).unwrap_or_default()).await?,
            None => match store.evses_of(charger_id).await?.as_slice() {
                [evse] => Some(evse.clone()),
                _ => None,
            },
        };
        let Some(evse) = evse else { return Ok(Err(why_not("the charger has no single EVSE to bill it on".to_owned()))) };
        let connector_id = u32::try_from(evse.connector_id).unwrap_or_default();
        let (started_at, meter_start_wh) = match &refused {
            Some(r) => (r.started_at, r.meter_start_wh),
            None => transaction_begin(&req.transaction_data).unwrap_or((req.timestamp, req.meter_stop)),
        };
        if let Some(first) = store.session_by_start(charger_id, connector_id, started_at, meter_start_wh).await? {
            return Ok(Ok(first)); // this stop was replayed before
        }
        // Keep the charger's transaction id unless the server gave it to another transaction.
        let transaction_id = match store.transaction_id_taken(req.transaction_id).await? {
            false => req.transaction_id,
            true => store.next_transaction_id().await?,
        };
        let id = Uuid::new_v4().to_string();
        let tariff = evse.tariff.0.clone();
        if let Err(why) = self.hold_for_charger_start(&token.driver_id, &id, tariff.currency).await {
            return Ok(Err(why_not(format!("it cannot be paid: {why}"))));
        }
        let doubt = Limits::of(self.state, charger_id, connector_id).check_time(started_at).err();
        let inserted = store
            .insert_started_session(&StartedSession {
                id: &id,
                driver_id: &token.driver_id,
                evse_id: &evse.evse_id,
                charger_id,
                connector_id,
                id_tag: &token.id_tag,
                auth_method: authorization::method_of(token.kind()),
                transaction_id,
                meter_start_wh,
                started_at,
                tariff: &tariff,
                cost: &price(&tariff, &SessionUsage::default()),
                created_at: if doubt.is_some() { OffsetDateTime::now_utc() } else { started_at },
                review_reason: doubt.as_deref(),
            })
            .await;
        match inserted {
            Ok(()) => store.session(&id).await.map(|row| row.ok_or_else(|| "the session vanished".to_owned())),
            Err(e) => {
                self.state.payments().settle(&id).await; // not stored: the hold goes back
                if crate::store::is_unique_violation(&e) {
                    return Ok(Err(why_not("its connector has another session going on".to_owned())));
                }
                Err(e)
            }
        }
    }

    /// Keeps the readings that cannot be right, apart, for the operator.
    async fn keep_implausible(&self, session_id: &str, screened: &Screened<'_>) -> Result<(), sqlx::Error> {
        match (&screened.reason, screened.implausible.is_empty()) {
            (Some(reason), false) => self.state.store.insert_implausible_readings(session_id, &as_stored(&screened.implausible), reason).await,
            _ => Ok(()),
        }
    }

    /// Keeps MeterValues as reported (signed meter data among them) with the session.
    async fn keep_meter_values<M: std::borrow::Borrow<MeterValue>>(&self, session_id: &str, values: &[M]) -> Result<(), sqlx::Error> {
        if values.is_empty() {
            return Ok(());
        }
        self.state.store.insert_meter_values(session_id, &as_stored(values)).await
    }

    /// Marks a session that never started as failed, and gives its payment's hold back.
    async fn fail(&self, session_id: &str, reason: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        let row = self
            .update(session_id, |row| {
                if row.status() != SessionStatus::Starting {
                    return false;
                }
                row.set_status(SessionStatus::Failed);
                row.failure_reason = Some(reason.to_owned());
                true
            })
            .await?;
        if row.as_ref().is_some_and(|r| r.status() == SessionStatus::Failed) {
            self.state.payments().settle(session_id).await;
        }
        Ok(row)
    }

    /// After a repricing: a paid session whose cost reached its hold is stopped (the request
    /// is sent once; if the charger cannot be asked, the next meter values ask again). Sent
    /// from a task of its own, because the charger's answer arrives on the connection whose
    /// MeterValues is being handled now.
    async fn stop_at_hold(&self, row: &SessionRow) -> Result<(), sqlx::Error> {
        let Some(note) = self.state.payments().hold_reached(row).await? else { return Ok(()) };
        tracing::info!(session = %row.id, %note, "asking the charger to stop at the hold");
        let state = self.state.clone();
        let row = row.clone();
        tokio::spawn(async move {
            let session_id = row.id.clone();
            if let Err(e) = Sessions::new(&state).stop_row(row).await {
                tracing::warn!(session = %session_id, error = %e, "could not stop a session at its hold; trying again");
                state.payments().stop_not_sent(&session_id).await;
            }
        });
        Ok(())
    }

    /// After a restart: remote starts still waiting get the rest of their start window (those
    /// past it fail now), as if the server had never stopped.
    pub async fn watch_pending_starts(&self) -> Result<(), sqlx::Error> {
        let now = OffsetDateTime::now_utc();
        for row in self.state.store.sessions_in_status(SessionStatus::Starting).await? {
            let waited = (now - row.created_at).try_into().unwrap_or_default();
            self.watch_start_for(row.id, self.state.config.start_timeout.saturating_sub(waited));
        }
        Ok(())
    }

    /// Fails the session if the charger accepted the remote start but never started.
    fn watch_start(&self, session_id: String) {
        self.watch_start_for(session_id, self.state.config.start_timeout);
    }

    fn watch_start_for(&self, session_id: String, window: std::time::Duration) {
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            let reason = "The charger did not start charging. Check that the cable is plugged in and try again.";
            if let Err(e) = Sessions::new(&state).fail(&session_id, reason).await {
                tracing::error!(error = %e, %session_id, "could not fail a session that never started");
            }
        });
    }

    /// Reads, changes (when `change` says it did), reprices and saves a session, retrying if a
    /// concurrent writer got there first; publishes the stored result.
    async fn update(&self, session_id: &str, change: impl Fn(&mut SessionRow) -> bool) -> Result<Option<SessionRow>, sqlx::Error> {
        Ok(self.update_from(None, session_id, &Stored::default(), change).await?.0)
    }

    /// [`Sessions::update`] starting from `read`, a copy of the row the caller just read (one
    /// database read less on the hot path; a concurrent change makes it read again), storing
    /// `stored` in the same transaction as the change. Also says whether there was a change
    /// (and so whether `stored` was written).
    async fn update_from(
        &self,
        mut read: Option<SessionRow>,
        session_id: &str,
        stored: &Stored<'_>,
        change: impl Fn(&mut SessionRow) -> bool,
    ) -> Result<(Option<SessionRow>, bool), sqlx::Error> {
        loop {
            let current = match read.take() {
                Some(row) => Some(row),
                None => self.state.store.session(session_id).await?,
            };
            let Some(mut row) = current else {
                return Ok((None, false));
            };
            if !change(&mut row) {
                return Ok((Some(row), false));
            }
            let billed = self.state.money.billing.cost(&self.state.store, &row, stored.meter_values).await?;
            row.cost = Json(billed.cost);
            row.parking_seconds = billed.parking_seconds;
            if let Some(saved) = self.state.store.save_session_with(&row, stored.meter_values, stored.handled).await? {
                self.state.clients.live.publish(&view(&saved));
                return Ok((Some(saved), true));
            }
        }
    }
}

/// What a change of a session brings to store with it, in the same transaction.
#[derive(Default)]
struct Stored<'a> {
    meter_values: &'a [(OffsetDateTime, Vec<SampledValue>)],
    /// `(charger, message id, answer)` of the message that brought the change.
    handled: Option<(&'a str, &'a str, &'a HandledMessage)>,
}

/// What an app start asked for, in one comparable string: the EVSE (as normalized when parsed)
/// and the payment choice.
fn start_request(evse_id: &EvseId, payment: Option<&PaymentChoice>) -> String {
    let evse = evse_id.as_str().replace('*', "").to_ascii_uppercase();
    serde_json::json!({"evse_id": evse, "payment": payment}).to_string()
}

/// MeterValues as they are stored: when, and the sampled values as sent.
fn as_stored<M: std::borrow::Borrow<MeterValue>>(values: &[M]) -> Vec<(OffsetDateTime, Vec<SampledValue>)> {
    values.iter().map(|v| (v.borrow().timestamp, v.borrow().sampled_value.clone())).collect()
}

/// A charger's MeterValues, sorted by its clock and split into those the session can apply
/// and those that cannot be right (see `plausibility.rs`), with the first reason.
struct Screened<'m> {
    plausible: Vec<&'m MeterValue>,
    implausible: Vec<&'m MeterValue>,
    reason: Option<String>,
}

/// Reads the samples in the charger's time order from the session's last applied reading; a
/// sample older than that does not move the session and needs no check.
fn screen<'m>(row: &SessionRow, values: &'m [MeterValue], limits: &Limits) -> Screened<'m> {
    let mut samples: Vec<&MeterValue> = values.iter().collect();
    samples.sort_by_key(|m| m.timestamp);
    let mut screened = Screened { plausible: Vec::new(), implausible: Vec::new(), reason: None };
    let (Some(started_at), Some(mut last)) = (row.started_at, last_reading(row)) else {
        screened.plausible = samples;
        return screened;
    };
    for sample in samples {
        if sample.timestamp < last.at {
            screened.plausible.push(sample);
            continue;
        }
        let energy_wh = sample.total(MEASURAND_ENERGY_IMPORT).unwrap_or(last.energy_wh);
        let next = Reading { at: sample.timestamp, energy_wh };
        match limits.check_reading(started_at, last, next) {
            Ok(()) => {
                last = Reading { at: next.at, energy_wh: energy_wh.max(last.energy_wh) };
                screened.plausible.push(sample);
            }
            Err(why) => {
                screened.reason.get_or_insert(why);
                screened.implausible.push(sample);
            }
        }
    }
    screened
}

/// The last reading the session applied (its start, before any meter value).
fn last_reading(row: &SessionRow) -> Option<Reading> {
    let at = row.last_meter_at.or(row.started_at)?;
    let energy_wh = row.meter_last_wh.or(row.meter_start_wh)?;
    Some(Reading { at, energy_wh })
}

/// Marks the session for review with the first reason it got; true if that changed it.
fn flag_for_review(row: &mut SessionRow, reason: Option<&str>) -> bool {
    match reason {
        Some(reason) if row.review_reason.is_none() => {
            row.review_reason = Some(reason.to_owned());
            true
        }
        _ => false,
    }
}

fn connector_of(row: &SessionRow) -> u32 {
    u32::try_from(row.connector_id).unwrap_or_default()
}

/// Applies one MeterValue, read as the bill reads it ([`meter::sample_of`]): the energy register
/// never goes back, and an older sample than the newest one applied does not move the session.
/// The power shown is the reported one, 0 while parked, and for a charger that reports no power
/// the average since the previous sample.
fn apply_sample(row: &mut SessionRow, value: &MeterValue) -> bool {
    if row.last_meter_at.is_some_and(|last| value.timestamp < last) {
        return false;
    }
    let previous = row.meter_last_wh.zip(row.last_meter_at).map(|(wh, at)| MeterSample::charging(at, wh));
    let from = previous.or_else(|| Some(MeterSample::charging(row.started_at?, row.meter_start_wh?)));
    let last = from.unwrap_or(MeterSample::charging(value.timestamp, 0));
    let Some(sample) = meter::sample_of(value.timestamp, &value.sampled_value, &last) else {
        return false;
    };
    if row.meter_last_wh.is_some() || value.total(MEASURAND_ENERGY_IMPORT).is_some() {
        row.meter_last_wh = Some(sample.energy_wh);
    }
    if let Some(w) = meter::shown_power_w(&sample, previous.as_ref()) {
        row.power_w = w;
    }
    row.last_meter_at = Some(sample.at);
    true
}

/// Where an offline transaction began, from its `transactionData`: the `Transaction.Begin`
/// energy reading, else the earliest one.
fn transaction_begin(data: &[MeterValue]) -> Option<(OffsetDateTime, i64)> {
    let readings = data.iter().filter_map(|m| {
        let begin = m.sampled_value.iter().any(|v| v.context.as_deref() == Some("Transaction.Begin"));
        m.total(MEASURAND_ENERGY_IMPORT).map(|wh| (!begin, m.timestamp, wh))
    });
    readings.min().map(|(_, at, wh)| (at, wh))
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
        duration_seconds: usage.charging_seconds + usage.parking_seconds,
        parking_seconds: usage.parking_seconds,
        cost: row.cost.0.clone(),
        tariff: row.tariff.0.clone(),
        failure_reason: row.failure_reason.clone(),
        review_reason: row.review_reason.clone(),
        auth_method: row.auth_method(),
        version: row.version,
    }
}
