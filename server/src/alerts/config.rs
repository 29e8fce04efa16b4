//! The alert rules' thresholds and the webhooks alerts are delivered to. The defaults are those of deploy/prometheus/chargekit-alerts.yml (a
//! test reads that file and compares), so the server's alerts and Prometheus' agree.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// How often every rule is evaluated; a charger's connection or status change makes an
    /// evaluation at once too, and an evaluation waits precisely for the next threshold due.
    pub evaluate_every_secs: u64,
    /// `ChargeKitChargerOffline`: no OCPP connection for longer than this.
    pub charger_offline_after_secs: u64,
    /// `ChargeKitConnectorFaulted`: a connector reported Faulted longer ago than this.
    pub connector_faulted_after_secs: u64,
    /// `ChargeKitFailedStarts`: this many failed starts in a row at one charger ...
    pub failed_starts_in_a_row: u32,
    /// ... within this window (older failures are forgotten, as Prometheus' `[1h]`).
    pub failed_starts_window_secs: u64,
    /// `ChargeKitHeartbeatGaps`: a silence of more than twice the heartbeat interval while
    /// connected, within this window.
    pub heartbeat_gaps_window_secs: u64,
    /// `ChargeKitAvailabilityBelowTarget`: a charger available (or in use) less than this share
    /// of the window, in percent ...
    pub availability_target_percent: u8,
    /// ... over this window (a day) ...
    pub availability_window_secs: u64,
    /// ... once it was observed (connected at least once) for this long in it.
    pub availability_min_observed_secs: u64,
    /// Availability reads each charger's history: it is evaluated this often, not every time.
    pub availability_every_secs: u64,
    /// `ChargeKitCapturesFailing`: a finished session's capture still being retried this long
    /// after the session ended. (`ChargeKitSessionsHeldForReview` has no threshold: any session
    /// held for review is an alert until an operator decides.)
    pub captures_failing_after_secs: u64,
    /// Where alerts are posted when they open and resolve.
    pub webhooks: Vec<WebhookConfig>,
    /// Attempts at delivering one event before it is given up (kept, marked abandoned).
    pub webhook_attempts: u32,
    /// The wait before the first retry; it doubles with each one ...
    pub webhook_retry_delay_ms: u64,
    /// ... up to this.
    pub webhook_max_retry_delay_secs: u64,
    /// How long one delivery may take.
    pub webhook_timeout_secs: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            evaluate_every_secs: 60,
            charger_offline_after_secs: 10 * 60,
            connector_faulted_after_secs: 2 * 60,
            failed_starts_in_a_row: 3,
            failed_starts_window_secs: 3600,
            heartbeat_gaps_window_secs: 3600,
            availability_target_percent: 95,
            availability_window_secs: 24 * 3600,
            availability_min_observed_secs: 3600,
            availability_every_secs: 5 * 60,
            captures_failing_after_secs: 30 * 60,
            webhooks: Vec::new(),
            webhook_attempts: 12,
            webhook_retry_delay_ms: 1000,
            webhook_max_retry_delay_secs: 3600,
            webhook_timeout_secs: 10,
        }
    }
}

/// A receiver of alert events. Each POST carries `ChargeKit-Signature: t=<unix seconds>,v1=<hex
/// HMAC-SHA256 of "<t>.<raw body>" with the secret>` (Stripe's scheme).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `https://...` (or `http://` on a trusted network).
    pub url: String,
    /// The signing secret the receiver verifies with; at least 16 characters.
    pub secret: String,
}

/// The secret stays out of logs.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig").field("url", &self.url).finish_non_exhaustive()
    }
}

impl AlertsConfig {
    /// Refuses webhooks that could not be delivered or verified, and thresholds that mean nothing.
    pub fn validate(&self) -> Result<(), String> {
        for hook in &self.webhooks {
            if !(hook.url.starts_with("https://") || hook.url.starts_with("http://")) {
                return Err(format!("alerts.webhooks: \"{}\" is not an http(s) URL", hook.url));
            }
            if hook.secret.chars().count() < 16 {
                return Err(format!("alerts.webhooks: the secret of {} must be at least 16 characters", hook.url));
            }
        }
        if self.availability_target_percent > 100 {
            return Err("alerts.availability_target_percent must be 0 to 100".to_owned());
        }
        if self.failed_starts_in_a_row == 0 || self.webhook_attempts == 0 || self.evaluate_every_secs == 0 {
            return Err("alerts.failed_starts_in_a_row, webhook_attempts and evaluate_every_secs must be at least 1".to_owned());
        }
        Ok(())
    }
}
