//! Sessions: start, stop, read, list, and the live stream.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use chargekit_model::api::{ApiError, IDEMPOTENCY_KEY_HEADER, SessionChanges, SessionPage, StartSessionRequest};
use chargekit_model::Session;
use futures_util::Stream;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{AuthedDriver, AuthedSignIn};
use crate::error::AppError;
use crate::sessions::view;

const MAX_PAGE: u32 = 100;
const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// Starts charging at an EVSE. Send an `Idempotency-Key` so a retried request does not start
/// a second session.
#[utoipa::path(post, path = "/v1/sessions", operation_id = "start_session", tag = "sessions", request_body = StartSessionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Unique per start attempt; retries reuse it")),
    responses(
        (status = 201, body = Session, description = "The session, starting or (for a retry with the same Idempotency-Key) as it is now"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 402, body = ApiError, description = "The payment was refused (not enough in the wallet, a declined card); the charger was not asked"),
        (status = 404, body = ApiError, description = "No such EVSE, or no such payment method"),
        (status = 409, body = ApiError, description = "The connector is busy, or the charger refused the start"),
        (status = 422, body = ApiError, description = "The request is invalid (the EVSE ID, the payment choice or the Idempotency-Key); the message says which"),
        (status = 503, body = ApiError, description = "The charger is offline"),
        (status = 504, body = ApiError, description = "The charger did not answer in time"),
    ))]
pub async fn start(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Json(request): Json<StartSessionRequest>,
) -> Result<(StatusCode, Json<Session>), AppError> {
    let key = idempotency_key(&headers)?;
    let session = state.sessions().start(&driver, &request.evse_id, request.payment.as_ref(), key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most 100; 20 when absent.
    limit: Option<u32>,
    offset: Option<u32>,
}

/// The driver's sessions, newest first.
#[utoipa::path(get, path = "/v1/sessions", operation_id = "list_sessions", tag = "sessions", params(PageQuery),
    responses(
        (status = 200, body = SessionPage, description = "A page of the driver's sessions, newest first"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn list(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Query(page): Query<PageQuery>) -> Result<Json<SessionPage>, AppError> {
    let limit = page.limit.unwrap_or(20).clamp(1, MAX_PAGE);
    let offset = page.offset.unwrap_or(0);
    // One extra row tells whether another page follows.
    let mut rows = state.store.sessions_of(&driver.id, limit + 1, offset).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(Json(SessionPage { sessions: rows.iter().map(view).collect(), next_offset: more.then_some(offset + limit) }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `cursor` of the previous answer; 0 (or absent) for everything.
    after: Option<i64>,
    /// At most 100; 100 when absent.
    limit: Option<u32>,
}

/// The driver's sessions created or changed after a cursor, in the order they changed, for an
/// incremental sync of the app's history.
#[utoipa::path(get, path = "/v1/sessions/changes", operation_id = "session_changes", tag = "sessions", params(ChangesQuery),
    responses(
        (status = 200, body = SessionChanges, description = "The sessions changed after the cursor, and the next cursor"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn changes(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Query(query): Query<ChangesQuery>) -> Result<Json<SessionChanges>, AppError> {
    let after = query.after.unwrap_or(0).max(0);
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    // One extra row tells whether more wait.
    let mut rows = state.store.sessions_changed(&driver.id, after, limit + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let cursor = rows.last().map_or(after, |(_, seq)| *seq);
    Ok(Json(SessionChanges { sessions: rows.iter().map(|(row, _)| view(row)).collect(), cursor, more }))
}

/// One of the driver's sessions; when finished, this is the receipt.
#[utoipa::path(get, path = "/v1/sessions/{id}", operation_id = "get_session", tag = "sessions", params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, body = Session, description = "The session"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such session of this driver"),
    ))]
pub async fn get_one(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Session>, AppError> {
    Ok(Json(view(&state.sessions().owned(&driver.id, &id).await?)))
}

/// Asks the charger to stop. Stopping a finished session returns it unchanged.
#[utoipa::path(post, path = "/v1/sessions/{id}/stop", operation_id = "stop_session", tag = "sessions", params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, body = Session, description = "The session, stopping (or unchanged when it had finished)"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such session of this driver"),
        (status = 409, body = ApiError, description = "The charger refused to stop"),
        (status = 503, body = ApiError, description = "The charger is offline"),
        (status = 504, body = ApiError, description = "The charger did not answer in time"),
    ))]
pub async fn stop(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Session>, AppError> {
    Ok(Json(state.sessions().stop(&driver.id, &id).await?))
}

/// Live state of a session as Server-Sent Events (`event: session`, `id:` the session's
/// version, `data:` the Session). The current state comes first, then every change; the
/// stream ends after the final state. With `Last-Event-ID`, states the client has are skipped.
///
/// A stream lives no longer than the sign-in that opened it: when the access token it was
/// opened with expires, or the sign-in is revoked (sign-out, a reused refresh token), or the
/// server shuts down, it ends with `event: end` and `data: {"reason": …}` (`token_expired`,
/// `sign_in_revoked`, `shutting_down`). An app opens it again with a fresh token and
/// `Last-Event-ID`, as after any interruption. Streams are capped per driver and per server:
/// past a cap the answer is 429 with `Retry-After`.
#[utoipa::path(get, path = "/v1/sessions/{id}/live", operation_id = "live_session", tag = "sessions", params(("id" = String, Path, description = "The session id"), ("Last-Event-ID" = Option<i64>, Header, description = "The last version the client has; older states are skipped")),
    responses(
        (status = 200, content_type = "text/event-stream", body = Session, description = "Server-Sent Events: `event: session`, `id:` the version, `data:` the Session as JSON; a stream cut short by its sign-in ends with `event: end`, `data: {\"reason\": ...}`"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such session of this driver"),
        (status = 429, body = ApiError, description = "Too many live streams open (this driver's, or the server's); the Retry-After header says when to try again"),
    ))]
pub async fn live(
    signed_in: AuthedSignIn,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let permit = state.clients.live_streams.open(&signed_in.driver.id, &signed_in.sign_in_key())?;
    let row = state.sessions().owned(&signed_in.driver.id, &id).await?;
    // A sign-out between the token check and the registration found no stream to end: the
    // token is checked again now that this one is registered.
    if !signed_in.still_valid(&state).await? {
        return Err(AppError::unauthorized("Your sign-in has expired. Please sign in again."));
    }
    let mut last_sent: i64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut updates = state.clients.live.subscribe(view(&row));
    let shutdown = state.shutdown.clone();
    let expires = token_expiry(signed_in.expires_at);
    let stream = async_stream::stream! {
        // Held for as long as the stream exists: dropping it frees the stream's place.
        let permit = permit;
        loop {
            let current = updates.borrow_and_update().clone();
            if current.version > last_sent {
                last_sent = current.version;
                yield Ok(session_event(&current));
            }
            if current.status.is_final() {
                break;
            }
            let changed = tokio::select! {
                changed = updates.changed() => Ok(changed),
                _ = permit.revoked() => Err("sign_in_revoked"),
                _ = tokio::time::sleep_until(expires) => Err("token_expired"),
                _ = shutdown.cancelled() => Err("shutting_down"),
            };
            let changed = match changed {
                Ok(changed) => changed,
                Err(reason) => {
                    yield Ok(end_event(reason));
                    break;
                }
            };
            if changed.is_err() {
                // The publisher is gone after a final state: send it, then end.
                let last = updates.borrow().clone();
                if last.version > last_sent {
                    yield Ok(session_event(&last));
                }
                break;
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The instant an access token expiring at `expires_at` stops working, on the runtime's clock.
fn token_expiry(expires_at: time::OffsetDateTime) -> tokio::time::Instant {
    let left = expires_at - time::OffsetDateTime::now_utc();
    tokio::time::Instant::now() + std::time::Duration::try_from(left).unwrap_or_default()
}

/// The last event of a stream cut short, saying why.
fn end_event(reason: &str) -> Event {
    Event::default().event("end").data(serde_json::json!({ "reason": reason }).to_string())
}

fn session_event(session: &Session) -> Event {
    Event::default()
        .event("session")
        .id(session.version.to_string())
        .json_data(session)
        .unwrap_or_else(|_| Event::default().comment("unserializable session"))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(AppError::invalid(format!("{IDEMPOTENCY_KEY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters.")));
    }
    Ok(Some(key.to_owned()))
}
