//! The operator's fleet board: a snapshot of every charger and connector now, and a stream of
//! its changes (Server-Sent Events). See `crate::fleet` for how it stays cheap at 10,000
//! chargers.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chargekit_model::api::ApiError;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::auth::{AuthedOperator, OperatorSignIn};
use crate::error::AppError;
use crate::fleet::FleetSnapshot;

/// How often an open stream checks that its operator is still signed in.
const SIGN_IN_CHECK: Duration = Duration::from_secs(30);

/// The fleet board now.
#[utoipa::path(get, path = "/v1/operator/fleet", operation_id = "fleet_snapshot", tag = "operator",
    responses((status = 200, body = FleetSnapshot, description = "Every charger and connector now, the counts, the sites and today's revenue"), (status = 401, body = ApiError, description = "No operator token, or an expired or revoked one")))]
pub async fn snapshot(_operator: AuthedOperator, State(state): State<Arc<AppState>>) -> Json<FleetSnapshot> {
    Json(state.clients.live.fleet.snapshot())
}

/// The fleet board live: first a `snapshot` event (a [`FleetSnapshot`]), then a `changes` event
/// for each batch — `{"version": n, "chargers": [FleetCharger, …]}`, each changed charger whole,
/// to replace on the board; versions go up by one, and a batch is sent at most every 100 ms. A
/// stream that falls too far behind, outlives its sign-in, or meets a shutdown ends with an
/// `end` event `{"reason": "too_slow" | "signed_out" | "shutting_down"}`; open a new one (it
/// starts with a new snapshot).
#[utoipa::path(get, path = "/v1/operator/fleet/events", operation_id = "fleet_events", tag = "operator",
    responses(
        (status = 200, content_type = "text/event-stream", body = FleetSnapshot, description = "Server-Sent Events: `event: snapshot` (a FleetSnapshot), then `event: changes` with `id:` the version and `data: {\"version\": n, \"chargers\": [FleetCharger, ...]}`, and `event: end`, `data: {\"reason\": \"too_slow\" | \"signed_out\" | \"shutting_down\"}` when the stream is ended"),
        (status = 401, body = ApiError, description = "No operator token, or an expired or revoked one"),
    ))]
pub async fn events(
    sign_in: OperatorSignIn,
    State(state): State<Arc<AppState>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let (snapshot, mut changes) = state.clients.live.fleet.subscribe();
    let shutdown = state.shutdown.clone();
    let stream = async_stream::stream! {
        let mut sent = snapshot.version;
        yield Ok(Event::default().event("snapshot").id(sent.to_string()).json_data(&snapshot).unwrap_or_else(|_| Event::default().comment("unserializable")));
        drop(snapshot);
        let mut check = tokio::time::interval(SIGN_IN_CHECK);
        check.tick().await;
        loop {
            tokio::select! {
                batch = changes.recv() => match batch {
                    // A batch the snapshot already holds is skipped.
                    Ok(batch) if batch.version <= sent => {}
                    Ok(batch) => {
                        sent = batch.version;
                        yield Ok(Event::default().event("changes").id(sent.to_string()).data(batch.json.as_str()));
                    }
                    Err(RecvError::Lagged(_)) => {
                        yield Ok(end_event("too_slow"));
                        break;
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = check.tick() => {
                    // A storage error is no sign-out: the next check decides.
                    if let Ok(None) = state.store.operator_by_token(&sign_in.token_sha256).await {
                        yield Ok(end_event("signed_out"));
                        break;
                    }
                }
                _ = shutdown.cancelled() => {
                    yield Ok(end_event("shutting_down"));
                    break;
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn end_event(reason: &str) -> Event {
    Event::default().event("end").data(serde_json::json!({ "reason": reason }).to_string())
}
