//! Delivers alert events from the outbox (`webhook_deliveries`) to the configured webhooks.
//!
//! Each attempt POSTs the stored body as it is, with
//! `ChargeKit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — Stripe's
//! scheme: the timestamp is signed with the raw body, so a receiver verifies the bytes it got
//! and refuses an old request replayed (compare `t` with its clock, within a tolerance), and
//! `ChargeKit-Delivery: <id>`, the same on every attempt, to drop a duplicate. A 2xx answer
//! delivers; anything else (or no answer in `webhook_timeout_secs`) is tried again after
//! `webhook_retry_delay_ms`, doubling up to `webhook_max_retry_delay_secs`, and given up after
//! `webhook_attempts` (kept in the table, marked abandoned). The outbox is in the database, so
//! a restart resumes where it was.

use std::sync::Arc;
use std::time::Duration;

use ring::hmac;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::AlertsConfig;
use crate::AppState;
use crate::store::DeliveryRow;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "ChargeKit-Signature";
/// The delivery's id: the same on every attempt.
pub const DELIVERY_HEADER: &str = "ChargeKit-Delivery";

/// Deliveries taken at once.
const BATCH: u32 = 32;

/// The header value signing `body` with `secret` at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(tag.as_ref()))
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones (at least 1).
pub fn retry_delay(config: &AlertsConfig, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    let delay = Duration::from_millis(config.webhook_retry_delay_ms).saturating_mul(1 << doublings);
    delay.min(Duration::from_secs(config.webhook_max_retry_delay_secs))
}

pub fn spawn(state: Arc<AppState>, shutdown: CancellationToken) -> Result<(), String> {
    if state.config.alerts.webhooks.is_empty() {
        return Ok(());
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let timeout = Duration::from_secs(state.config.alerts.webhook_timeout_secs.max(1));
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(crate::payments::stripe::tls_config()?)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("chargekit-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the webhooks' HTTP client: {e}"))?;
    tokio::spawn(run(state, http, shutdown));
    Ok(())
}

async fn run(state: Arc<AppState>, http: reqwest::Client, shutdown: CancellationToken) {
    loop {
        let wait = match deliver_due(&state, &http).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the webhook outbox; trying again");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.alerts.queued.notified() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Delivers what is due; returns how long until the next delivery is due.
async fn deliver_due(state: &AppState, http: &reqwest::Client) -> Result<Duration, sqlx::Error> {
    loop {
        let due = state.store.due_deliveries(OffsetDateTime::now_utc(), BATCH).await?;
        if due.is_empty() {
            break;
        }
        for delivery in due {
            attempt(state, http, &delivery).await?;
        }
    }
    let idle = Duration::from_secs(3600);
    Ok(match state.store.next_delivery_at().await? {
        Some(at) => Duration::try_from(at - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO).min(idle),
        None => idle,
    })
}

async fn attempt(state: &AppState, http: &reqwest::Client, delivery: &DeliveryRow) -> Result<(), sqlx::Error> {
    let config = &state.config.alerts;
    let Some(hook) = config.webhooks.iter().find(|w| w.url == delivery.url) else {
        // The webhook was taken out of the config: nobody to deliver to, nor a secret to sign with.
        return state.store.delivery_failed(delivery.id, "the webhook is no longer configured", None, OffsetDateTime::now_utc()).await;
    };
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let sent = http
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(&hook.secret, timestamp, &delivery.body))
        .header(DELIVERY_HEADER, delivery.id.to_string())
        .body(delivery.body.clone())
        .send()
        .await;
    let now = OffsetDateTime::now_utc();
    let failure = match sent {
        Ok(response) if response.status().is_success() => return state.store.delivery_succeeded(delivery.id, now).await,
        Ok(response) => format!("the webhook answered {}", response.status()),
        Err(e) => format!("the webhook could not be reached: {e}"),
    };
    let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX).saturating_add(1);
    let retry_at = (attempts < config.webhook_attempts).then(|| now + retry_delay(config, attempts));
    match retry_at {
        Some(at) => tracing::warn!(url = %delivery.url, attempts, retry_at = %at, %failure, "alert webhook delivery failed; retrying"),
        None => tracing::error!(url = %delivery.url, attempts, %failure, "alert webhook delivery failed for good"),
    }
    state.store.delivery_failed(delivery.id, &failure, retry_at, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_stripes_scheme() {
        // HMAC-SHA256("whsec_0123456789abcdef", "1700000000.{}"), computed independently with
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_0123456789abcdef`.
        assert_eq!(
            signature("whsec_0123456789abcdef", 1_700_000_000, "{}"),
            "t=1700000000,v1=d0c329a0542d1a8e66b0b5503cf2d2f8f8e174c98224b843c11f74ea14c341e9"
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let config = AlertsConfig { webhook_retry_delay_ms: 1000, webhook_max_retry_delay_secs: 10, ..AlertsConfig::default() };
        let delays: Vec<u64> = (1..=6).map(|n| retry_delay(&config, n).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
    }
}
