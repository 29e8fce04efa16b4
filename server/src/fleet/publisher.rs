//! Sends the board's changes: wakes on a change, reads today's revenue of the chargers whose
//! session ended, serializes the changed chargers once and broadcasts them, then rests
//! [`COALESCE`] before the next batch. A change on a quiet board goes out at once; on a busy
//! one, what arrives meanwhile (many messages of one charger included) makes the next batch, so
//! at most one batch per [`COALESCE`] leaves, whatever the fleet sends. At UTC midnight today's
//! revenue starts again.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::{Changes, FleetBoard, FleetCharger};
use crate::store::Store;

/// The rest between two batches: a busy board's changes wait up to this long, and a charger
/// sending many messages meanwhile costs one entry in the next batch.
pub const COALESCE: Duration = Duration::from_millis(100);

/// Runs until `shutdown`.
pub fn spawn(board: Arc<FleetBoard>, store: Store, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = board.changed.notified() => {}
                _ = tokio::time::sleep(until_next_day()) => {}
                _ = shutdown.cancelled() => return,
            }
            publish_once(&board, &store).await;
            // What changes meanwhile waits for the next batch (the notification is kept).
            tokio::select! {
                _ = tokio::time::sleep(COALESCE) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    });
}

/// One batch: today's revenue brought up to date, then every changed charger once.
pub async fn publish_once(board: &FleetBoard, store: &Store) {
    let today = OffsetDateTime::now_utc().date();
    let day = crate::reports::day_key(today);
    if board.day() != Some(today) {
        match store.revenue_of_day(&day, None).await {
            Ok(rows) => board.start_day(today, rows),
            Err(e) => tracing::warn!(error = %e, "cannot read today's revenue for the fleet board"),
        }
    }
    for charger_id in board.take_revenue_stale() {
        match store.revenue_of_day(&day, Some(&charger_id)).await {
            Ok(rows) => board.set_completed(&charger_id, rows),
            Err(e) => tracing::warn!(error = %e, %charger_id, "cannot read a charger's revenue today for the fleet board"),
        }
    }
    let Some((version, chargers)) = board.take_changes() else { return };
    let json = changes_json(version, &chargers);
    // No subscriber is no error: the batch is simply not kept.
    let _ = board.changes.send(Arc::new(Changes { version, json }));
}

fn changes_json(version: u64, chargers: &[FleetCharger]) -> String {
    #[derive(serde::Serialize)]
    struct Batch<'a> {
        version: u64,
        chargers: &'a [FleetCharger],
    }
    serde_json::to_string(&Batch { version, chargers }).unwrap_or_else(|_| format!("{{\"version\":{version},\"chargers\":[]}}"))
}

fn until_next_day() -> Duration {
    let now = OffsetDateTime::now_utc();
    let midnight = now.date().next_day().map(|d| d.midnight().assume_utc());
    midnight.and_then(|m| Duration::try_from(m - now).ok()).unwrap_or(Duration::from_secs(3600))
}
