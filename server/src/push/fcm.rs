//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! Authorization is Google's OAuth2 service-account flow: a JWT (RS256, signed with the
//! service account's key) with `iss` = the account's email, `scope` = firebase.messaging and
//! `aud` = its `token_uri`, exchanged there (`grant_type=urn:ietf:params:oauth:grant-type:
//! jwt-bearer`) for an access token, kept until shortly before it expires. Messages are
//! `POST {api_base}/v1/projects/{project_id}/messages:send` with `{"message": {"token", "data",
//! "android"}}`: data only, so the app words the notification in the driver's language. A
//! token FCM answers 404 `UNREGISTERED` (or `NOT_FOUND`) for is gone.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Value, json};

use super::config::FcmConfig;
use super::jwt::Rs256;
use super::provider::{Device, PushError, PushMessage, PushProvider, network, transient_or_permanent};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// An access token is renewed this long before Google said it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    client_email: String,
    private_key: String,
    token_uri: String,
}

pub struct Fcm {
    http: reqwest::Client,
    send_url: String,
    client_email: String,
    token_uri: String,
    key: Rs256,
    access: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl Fcm {
    pub fn new(config: &FcmConfig, http: reqwest::Client) -> Result<Self, String> {
        let path = &config.service_account_file;
        let text = std::fs::read_to_string(path).map_err(|e| format!("push.fcm: cannot read {}: {e}", path.display()))?;
        let account: ServiceAccount = serde_json::from_str(&text).map_err(|e| format!("push.fcm: {} is not a service-account key file: {e}", path.display()))?;
        let key = Rs256::from_pem(&account.private_key).map_err(|e| format!("push.fcm: {}: {e}", path.display()))?;
        let base = config.api_base.trim_end_matches('/');
        Ok(Self {
            http,
            send_url: format!("{base}/v1/projects/{}/messages:send", account.project_id),
            client_email: account.client_email,
            token_uri: account.token_uri,
            key,
            access: tokio::sync::Mutex::new(None),
        })
    }

    async fn access_token(&self) -> Result<String, PushError> {
        let mut access = self.access.lock().await;
        if let Some((token, until)) = access.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"iss": self.client_email, "scope": SCOPE, "aud": self.token_uri, "iat": now, "exp": now + 3600});
        let assertion = self.key.sign(&json!({"alg": "RS256", "typ": "JWT"}), &claims).map_err(PushError::Permanent)?;
        let form = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion.as_str())];
        let body = form.iter().map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC))).collect::<Vec<_>>().join("&");
        let response = self
            .http
            .post(&self.token_uri)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        let text = response.text().await.map_err(network)?;
        if !status.is_success() {
            return Err(PushError::Transient(format!("the OAuth2 token exchange answered HTTP {status}: {text}")));
        }
        #[derive(Deserialize)]
        struct Granted {
            access_token: String,
            expires_in: u64,
        }
        let granted: Granted = serde_json::from_str(&text).map_err(|e| PushError::Transient(format!("unreadable OAuth2 answer: {e}")))?;
        let until = Instant::now() + Duration::from_secs(granted.expires_in).saturating_sub(RENEW_BEFORE);
        *access = Some((granted.access_token.clone(), until));
        Ok(granted.access_token)
    }

    async fn send_one(&self, device: Device<'_>, message: &PushMessage) -> Result<(), PushError> {
        let token = self.access_token().await?;
        let response = self.http.post(&self.send_url).bearer_auth(token).json(&body(device.token, message)).send().await.map_err(network)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            *self.access.lock().await = None;
            return Err(PushError::Transient(format!("FCM refused the access token: {text}")));
        }
        if status == reqwest::StatusCode::NOT_FOUND || error_code(&text).as_deref() == Some("UNREGISTERED") {
            return Err(PushError::Gone(format!("FCM answered {status}: {text}")));
        }
        Err(transient_or_permanent(status, &text))
    }
}

impl PushProvider for Fcm {
    fn send<'a>(&'a self, device: Device<'a>, message: &'a PushMessage) -> BoxFuture<'a, Result<(), PushError>> {
        Box::pin(self.send_one(device, message))
    }
}

/// The `message` FCM is sent: data values must be strings.
pub fn body(token: &str, message: &PushMessage) -> Value {
    let event = &message.event;
    json!({
        "message": {
            "token": token,
            "data": {
                "event_id": event.id,
                "kind": event.kind.name(),
                "session_id": event.session_id.to_string(),
                "evse_id": event.evse_id.to_string(),
                "event": serde_json::to_string(event).unwrap_or_default(),
                "live": serde_json::to_string(&message.live).unwrap_or_default(),
            },
            // Delivered at once even to an idle phone: the driver is waiting for it. No
            // collapse key: a phone offline meanwhile gets every event, not just the last.
            "android": {"priority": "high"},
        }
    })
}

/// The `errorCode` of FCM's `google.firebase.fcm.v1.FcmError` detail, if any.
fn error_code(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let details = value["error"]["details"].as_array()?;
    details.iter().find_map(|d| d["errorCode"].as_str().map(str::to_owned))
}
