//! The `push` section of the server config: the providers' credentials and where they are,
//! and how the outbox retries.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Firebase Cloud Messaging (Android). Absent: FCM tokens are refused at registration.
    pub fcm: Option<FcmConfig>,
    /// Apple Push Notification service (iOS alerts and Live Activities). Absent: APNs tokens
    /// are refused at registration.
    pub apns: Option<ApnsConfig>,
    /// Attempts at one push before it is given up.
    pub attempts: u32,
    /// Delay before the first retry; it doubles with each one, with jitter (`retry_delay_ms`).
    #[serde(rename = "retry_delay_ms", with = "crate::config::millis")]
    pub retry_delay: Duration,
    /// How often the session changes are read for new events when nothing woke the deriver
    /// (`poll_interval_ms`).
    #[serde(rename = "poll_interval_ms", with = "crate::config::millis")]
    pub poll_interval: Duration,
    /// How long one request to a provider may take (`timeout_secs`).
    #[serde(rename = "timeout_secs", with = "crate::config::secs")]
    pub timeout: Duration,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            fcm: None,
            apns: None,
            attempts: 8,
            retry_delay: Duration::from_secs(2),
            poll_interval: Duration::from_millis(500),
            timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    /// The Firebase project's service-account key file (JSON, from the Firebase console:
    /// Project settings → Service accounts). Its `project_id`, `client_email`, `private_key`
    /// and `token_uri` are used; the file is the operator's to protect.
    pub service_account_file: PathBuf,
    /// `https://fcm.googleapis.com`, or a local server speaking the same wire format in tests.
    #[serde(default = "default_fcm_base")]
    pub api_base: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsConfig {
    /// The `.p8` signing key from the Apple Developer account (Keys → Apple Push Notifications).
    pub key_file: PathBuf,
    /// The key's 10-character id.
    pub key_id: String,
    /// The developer team id.
    pub team_id: String,
    /// The app's bundle id (the `apns-topic`; Live Activities use `<topic>.push-type.liveactivity`).
    pub topic: String,
    /// `https://api.push.apple.com` (or `https://api.sandbox.push.apple.com` for development
    /// builds); an `http://` base speaks HTTP/2 without TLS (prior knowledge), for tests.
    #[serde(default = "default_apns_base")]
    pub api_base: String,
}

fn default_fcm_base() -> String {
    "https://fcm.googleapis.com".into()
}

fn default_apns_base() -> String {
    "https://api.push.apple.com".into()
}
