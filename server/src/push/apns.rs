//! Apple Push Notification service over HTTP/2, token-based.
//!
//! The provider token is a JWT (ES256, signed with the team's `.p8` key; header `kid`, claims
//! `iss` = team id and `iat`), renewed every 40 minutes (Apple refuses one older than an hour
//! and throttles renewals more often than every 20). A push is `POST {api_base}/3/device/{token}`
//! with `authorization: bearer <jwt>`, `apns-topic`, `apns-push-type` and `apns-priority`:
//! - an alert: `{"aps": {"alert": {"title-loc-key", "loc-key", "loc-args"}, "sound",
//!   "thread-id"}, "event": …}` — localization keys, so iOS words it in the driver's language
//!   from the app's String Catalog;
//! - a Live Activity: `apns-push-type: liveactivity`, topic `<bundle>.push-type.liveactivity`,
//!   `{"aps": {"timestamp", "event": "update" | "end", "content-state": {…}}}`.
//!
//! A token answered 410 (`Unregistered`) or 400 `BadDeviceToken` is gone.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::config::ApnsConfig;
use super::jwt::Es256;
use super::provider::{Device, PushError, PushMessage, PushProvider, network, transient_or_permanent};

const PROVIDER_TOKEN_LIFETIME: Duration = Duration::from_secs(40 * 60);

pub struct Apns {
    http: reqwest::Client,
    base: String,
    key: Es256,
    key_id: String,
    team_id: String,
    topic: String,
    provider_token: std::sync::Mutex<Option<(String, Instant)>>,
}

impl Apns {
    pub fn new(config: &ApnsConfig, http: reqwest::Client) -> Result<Self, String> {
        let path = &config.key_file;
        let pem = std::fs::read_to_string(path).map_err(|e| format!("push.apns: cannot read {}: {e}", path.display()))?;
        let key = Es256::from_pem(&pem).map_err(|e| format!("push.apns: {}: {e}", path.display()))?;
        for (name, value) in [("key_id", &config.key_id), ("team_id", &config.team_id), ("topic", &config.topic)] {
            if value.trim().is_empty() {
                return Err(format!("push.apns.{name} is empty"));
            }
        }
        Ok(Self {
            http,
            base: config.api_base.trim_end_matches('/').to_owned(),
            key,
            key_id: config.key_id.clone(),
            team_id: config.team_id.clone(),
            topic: config.topic.clone(),
            provider_token: std::sync::Mutex::new(None),
        })
    }

    fn provider_token(&self) -> Result<String, PushError> {
        let mut cached = self.provider_token.lock().expect("provider token lock");
        if let Some((token, made)) = cached.as_ref()
            && made.elapsed() < PROVIDER_TOKEN_LIFETIME
        {
            return Ok(token.clone());
        }
        let claims = json!({"iss": self.team_id, "iat": time::OffsetDateTime::now_utc().unix_timestamp()});
        let token = self.key.sign(&json!({"alg": "ES256", "kid": self.key_id}), &claims).map_err(PushError::Permanent)?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    async fn send_one(&self, device: Device<'_>, message: &PushMessage) -> Result<(), PushError> {
        let (push_type, topic, priority, body) = if device.live_activity {
            ("liveactivity", format!("{}.push-type.liveactivity", self.topic), "10", live_activity_body(message))
        } else {
            ("alert", self.topic.clone(), "10", alert_body(message))
        };
        let response = self
            .http
            .post(format!("{}/3/device/{}", self.base, device.token))
            .header("authorization", format!("bearer {}", self.provider_token()?))
            .header("apns-topic", topic)
            .header("apns-push-type", push_type)
            .header("apns-priority", priority)
            .header("apns-collapse-id", message.event.session_id.to_string())
            .json(&body)
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let reason = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["reason"].as_str().map(str::to_owned)).unwrap_or_default();
        match (status.as_u16(), reason.as_str()) {
            (410, _) | (400, "BadDeviceToken") => Err(PushError::Gone(format!("APNs answered {status} {reason}"))),
            (403, "ExpiredProviderToken") => {
                *self.provider_token.lock().expect("provider token lock") = None;
                Err(PushError::Transient("APNs: the provider token expired".into()))
            }
            _ => Err(transient_or_permanent(status, &text)),
        }
    }
}

impl PushProvider for Apns {
    fn send<'a>(&'a self, device: Device<'a>, message: &'a PushMessage) -> BoxFuture<'a, Result<(), PushError>> {
        Box::pin(self.send_one(device, message))
    }
}

/// An alert in the driver's language: `push.<kind>.title` / `push.<kind>.body` are keys of
/// the app's String Catalog, the charger its argument; the typed event rides along.
pub fn alert_body(message: &PushMessage) -> Value {
    let event = &message.event;
    let kind = event.kind.name();
    json!({
        "aps": {
            "alert": {
                "title-loc-key": format!("push.{kind}.title"),
                "loc-key": format!("push.{kind}.body"),
                "loc-args": [event.evse_id.to_string()],
            },
            "sound": "default",
            "thread-id": event.session_id.to_string(),
        },
        "event": event,
    })
}

/// A Live Activity update, or its end when the session is over.
pub fn live_activity_body(message: &PushMessage) -> Value {
    let ends = message.event.kind.ends_session();
    let mut content = serde_json::to_value(&message.live).unwrap_or_default();
    content["event"] = json!(message.event.kind.name());
    let mut aps = json!({
        "timestamp": message.live.at,
        "event": if ends { "end" } else { "update" },
        "content-state": content,
    });
    if ends {
        // The ended activity stays on the lock screen for four hours, as Apple's default.
        aps["dismissal-date"] = json!(message.live.at + 4 * 3600);
    }
    json!({ "aps": aps })
}
