//! Reads the sessions' changes in order (`sessions.change_seq`, from a cursor kept in the
//! database) and turns them into driver events with the rules the phones use
//! ([`chargekit_model::driver_events`]), each once (`push_events`), queuing a push per device
//! in the outbox. It runs beside the chargers, on its own connection: a charger's message is
//! answered before anything here looks at it, and nothing here waits for a provider.

use std::sync::Arc;

use chargekit_model::driver_events::{SessionContext, events_of};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::provider::{LiveFigures, PushMessage};
use crate::AppState;
use crate::store::{QueuedPush, Store, StoreError};

/// Session changes read per step.
const BATCH: u32 = 200;

pub async fn run(state: Arc<AppState>, store: Store, sender: Arc<Notify>) {
    let mut cursor = None;
    loop {
        match step(&store, cursor).await {
            Ok(Step { cursor: next, queued, more }) => {
                cursor = Some(next);
                if queued > 0 {
                    sender.notify_one();
                }
                if more {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot derive driver events from the session changes; trying again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(state.config.push.poll_interval) => {}
            _ = state.shutdown.cancelled() => return,
        }
    }
}

struct Step {
    cursor: i64,
    queued: usize,
    more: bool,
}

async fn step(store: &Store, cursor: Option<i64>) -> Result<Step, StoreError> {
    let now = OffsetDateTime::now_utc();
    let now_ms = super::unix_ms(now);
    let cursor = match cursor {
        Some(cursor) => cursor,
        None => match store.push_cursor().await? {
            Some(cursor) => cursor,
            None => {
                // The first run: what happened before push was there is not news.
                let newest = store.newest_change_seq().await?;
                store.queue_pushes(&[], newest, now_ms).await?;
                newest
            }
        },
    };
    let (rows, next) = store.session_changes_for_push(cursor, BATCH).await?;
    if next == cursor {
        return Ok(Step { cursor, queued: 0, more: false });
    }
    let mut derived = Vec::new();
    for row in &rows {
        let session = crate::sessions::view(row);
        let hold_minor = store.payment(&row.id).await?.filter(|p| p.status == "held").map(|p| p.held_minor);
        let events = events_of(&session, SessionContext { hold_minor }, now);
        if events.is_empty() {
            continue;
        }
        let devices = store.push_tokens_for_session(&row.driver_id, &row.id).await?;
        for event in events {
            let message = PushMessage { event, live: LiveFigures::of(&session, now) };
            let json = serde_json::to_string(&message).map_err(|e| StoreError::Protocol(format!("a push does not serialize: {e}")))?;
            let pushes = devices.iter().map(|d| QueuedPush { token_id: d.id, event_id: message.event.id.clone(), message: json.clone() }).collect();
            derived.push((message.event.id, row.id.clone(), pushes));
        }
    }
    let queued = store.queue_pushes(&derived, next, now_ms).await?;
    Ok(Step { cursor: next, queued, more: rows.len() as u64 >= u64::from(BATCH) })
}
