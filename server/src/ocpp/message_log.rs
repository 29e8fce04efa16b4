//! What of a frame goes into the OCPP message log (`store::message_log`): its direction, type,
//! message id, action, the transaction it names, and its payload with secrets redacted by
//! [`super::log_safe::payload`] (a ChangeConfiguration of the AuthorizationKey is logged with
//! `[redacted]`, like everywhere else the server writes a frame down).

use chargekit_model::ocpp::Frame;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::log_safe;
use crate::store::{Direction, LoggedFrame, Store};

/// How long the OCPP message log keeps each frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OcppLogConfig {
    /// Days a logged frame is kept (0: frames are pruned within the hour).
    pub retention_days: u32,
}

impl Default for OcppLogConfig {
    fn default() -> Self {
        Self { retention_days: 7 }
    }
}

/// What an answer answers: the CALL's action and the transaction it named, so that an answer
/// is logged under both (a MeterValues' `{}` belongs to its transaction too).
#[derive(Debug, Clone, Default)]
pub struct Answering {
    pub action: Option<String>,
    pub transaction_id: Option<i64>,
}

impl Answering {
    pub fn of(call: &Frame) -> Self {
        match call {
            Frame::Call { action, payload, .. } => Self { action: Some(action.clone()), transaction_id: transaction_of(payload) },
            _ => Self::default(),
        }
    }
}

/// Queues `frame` for the log (it never waits: see `store::message_log`); `answering` is the
/// CALL an answer answers, when the caller knows it.
pub fn record(store: &Store, charger_id: &str, direction: Direction, frame: &Frame, answering: Option<&Answering>) {
    store.log_frame(logged(charger_id, direction, frame, answering, OffsetDateTime::now_utc()));
}

/// Frames deleted per transaction when pruning, and the pause between two such transactions:
/// the chargers' group writer gets the write lock in between (see docs/benchmarks.md on the
/// availability warmer, which starved it with back-to-back transactions).
const PRUNE_CHUNK: u32 = 2_000;
const PRUNE_PAUSE: std::time::Duration = std::time::Duration::from_millis(150);

/// Prunes frames older than the retention every hour, on the background connection.
pub fn spawn_pruning(store: Store, config: OcppLogConfig, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        loop {
            let before = OffsetDateTime::now_utc() - time::Duration::days(i64::from(config.retention_days));
            let before_ms = (before.unix_timestamp_nanos() / 1_000_000) as i64;
            let mut pruned = 0;
            loop {
                match store.prune_messages(before_ms, PRUNE_CHUNK).await {
                    Ok(n) => {
                        pruned += n;
                        if n < u64::from(PRUNE_CHUNK) || shutdown.is_cancelled() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot prune the OCPP message log");
                        break;
                    }
                }
                tokio::time::sleep(PRUNE_PAUSE).await;
            }
            if pruned > 0 {
                tracing::info!(pruned, "OCPP messages past their retention pruned");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    });
}

fn logged(charger_id: &str, direction: Direction, frame: &Frame, answering: Option<&Answering>, at: OffsetDateTime) -> LoggedFrame {
    let answered = answering.and_then(|a| a.action.as_deref());
    let (message_type, id, action, payload) = match frame {
        Frame::Call { id, action, payload } => (2, id, Some(action.as_str()), log_safe::payload(payload)),
        Frame::CallResult { id, payload } => (3, id, answered, log_safe::payload(payload)),
        Frame::CallError { id, code, description, details } => {
            (4, id, answered, serde_json::json!({"errorCode": code, "errorDescription": description, "errorDetails": log_safe::payload(details)}))
        }
    };
    LoggedFrame {
        charger_id: charger_id.to_owned(),
        direction,
        message_type,
        message_id: id.clone(),
        action: action.map(str::to_owned),
        transaction_id: transaction_of(&payload).or(answering.and_then(|a| a.transaction_id)),
        payload: payload.to_string(),
        at_ms: (at.unix_timestamp_nanos() / 1_000_000) as i64,
    }
}

/// The transaction a payload names: `transactionId` of MeterValues, StopTransaction,
/// RemoteStopTransaction and of StartTransaction's answer.
fn transaction_of(payload: &Value) -> Option<i64> {
    payload.get("transactionId").and_then(Value::as_i64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_secret_is_logged_redacted_and_the_transaction_is_named() {
        let change = Frame::Call {
            id: "c1".into(),
            action: "ChangeConfiguration".into(),
            payload: json!({"key": "AuthorizationKey", "value": "0123456789abcdef0123"}),
        };
        let row = logged("CP", Direction::Out, &change, None, OffsetDateTime::UNIX_EPOCH);
        assert!(!row.payload.contains("0123456789abcdef0123"), "{}", row.payload);
        assert_eq!(row.action.as_deref(), Some("ChangeConfiguration"));
        assert_eq!((row.message_type, row.transaction_id), (2, None));

        let started = Frame::CallResult { id: "s1".into(), payload: json!({"transactionId": 42, "idTagInfo": {"status": "Accepted"}}) };
        let start = Answering { action: Some("StartTransaction".into()), transaction_id: None };
        let row = logged("CP", Direction::Out, &started, Some(&start), OffsetDateTime::UNIX_EPOCH);
        assert_eq!((row.message_type, row.transaction_id, row.action.as_deref()), (3, Some(42), Some("StartTransaction")));

        let meter = Frame::Call { id: "m1".into(), action: "MeterValues".into(), payload: json!({"connectorId": 1, "transactionId": 7, "meterValue": []}) };
        let row = logged("CP", Direction::Out, &Frame::CallResult { id: "m1".into(), payload: json!({}) }, Some(&Answering::of(&meter)), OffsetDateTime::UNIX_EPOCH);
        assert_eq!((row.transaction_id, row.action.as_deref()), (Some(7), Some("MeterValues")), "an answer belongs to its CALL's transaction");

        let refused = Frame::CallError { id: "e1".into(), code: "InternalError".into(), description: "no".into(), details: json!({}) };
        let row = logged("CP", Direction::In, &refused, None, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(row.message_type, 4);
        assert_eq!(serde_json::from_str::<Value>(&row.payload).unwrap()["errorCode"], "InternalError");
    }
}
