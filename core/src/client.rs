//! The driver API client: one method per endpoint, JSON in and out, errors mapped to
//! [`CoreError`]. Live updates come as Server-Sent Events ([`ApiClient::live_events`]).

use std::sync::{Arc, Once};
use std::time::Duration;

use chargekit_model::api::{
    ApiError, ApiErrorCode, AuthToken, Credentials, EvseInfo, IDEMPOTENCY_KEY_HEADER, IdToken, IdTokenUpdate, NewCard, NewIdToken,
    PaymentChoice, PaymentMethod, RefreshRequest, SessionChanges, SessionPayment, StartSessionRequest, TopUp, TopUpRequest, Wallet,
};
use chargekit_model::receipt::{ReceiptKey, SignedReceipt};
use chargekit_model::{EvseId, Session};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::CoreError;

/// Any single request (but a live stream) gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The server sends a keep-alive comment every 15 s; a silent stream is a dead one.
const READ_TIMEOUT: Duration = Duration::from_secs(45);

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
}

/// rustls needs one crypto provider per process; ChargeKit uses ring (no OpenSSL, no aws-lc).
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means the host app installed a provider already; that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// TLS with ring and Mozilla's root certificates, built into the library.
///
/// reqwest would otherwise verify through the platform (`rustls-platform-verifier`), which on
/// Android must first be initialised over JNI with an app `Context`; without that, every HTTPS
/// request fails there. Shipping the roots works the same on Android, iOS and desktops.
fn tls_config() -> Result<rustls::ClientConfig, CoreError> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| CoreError::Internal(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl ApiClient {
    pub fn new(base_url: &str) -> Result<Self, CoreError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .user_agent(concat!("chargekit-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CoreError::Internal(format!("cannot build the HTTP client: {e}")))?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(CoreError::InvalidInput(format!("\"{base_url}\" is not an http(s) backend URL")));
        }
        Ok(Self { http, base_url })
    }

    pub async fn register(&self, credentials: &Credentials) -> Result<AuthToken, CoreError> {
        self.send(self.request(Method::POST, "/v1/auth/register", None).json(credentials)).await
    }

    pub async fn sign_in(&self, credentials: &Credentials) -> Result<AuthToken, CoreError> {
        self.send(self.request(Method::POST, "/v1/auth/sign-in", None).json(credentials)).await
    }

    /// A new token pair for a refresh token (which is used up).
    pub async fn refresh(&self, refresh_token: &str) -> Result<AuthToken, CoreError> {
        let body = RefreshRequest { refresh_token: refresh_token.to_owned() };
        self.send(self.request(Method::POST, "/v1/auth/refresh", None).json(&body)).await
    }

    /// Ends the sign-in on the backend: its tokens stop working there too.
    pub async fn sign_out(&self, token: &str, refresh_token: &str) -> Result<(), CoreError> {
        let body = RefreshRequest { refresh_token: refresh_token.to_owned() };
        let response = self.request(Method::POST, "/v1/auth/sign-out", Some(token)).json(&body).send().await.map_err(CoreError::network)?;
        checked(response).await.map(|_| ())
    }

    pub async fn evse(&self, token: &str, evse_id: &EvseId) -> Result<EvseInfo, CoreError> {
        let path = format!("/v1/evses/{}", evse_id.as_str());
        self.send(self.request(Method::GET, &path, Some(token))).await
    }

    pub async fn start_session(&self, token: &str, evse_id: &EvseId, payment: Option<&PaymentChoice>, idempotency_key: &str) -> Result<Session, CoreError> {
        let body = StartSessionRequest { payment: payment.cloned(), ..StartSessionRequest::new(evse_id.clone()) };
        let request = self.request(Method::POST, "/v1/sessions", Some(token)).header(IDEMPOTENCY_KEY_HEADER, idempotency_key);
        self.send(request.json(&body)).await
    }

    pub async fn stop_session(&self, token: &str, session_id: &str, idempotency_key: &str) -> Result<Session, CoreError> {
        let path = format!("/v1/sessions/{session_id}/stop");
        let request = self.request(Method::POST, &path, Some(token)).header(IDEMPOTENCY_KEY_HEADER, idempotency_key);
        self.send(request).await
    }

    pub async fn session(&self, token: &str, session_id: &str) -> Result<Session, CoreError> {
        self.send(self.request(Method::GET, &format!("/v1/sessions/{session_id}"), Some(token))).await
    }

    pub async fn register_token(&self, token: &str, new: &NewIdToken) -> Result<IdToken, CoreError> {
        self.send(self.request(Method::POST, "/v1/tokens", Some(token)).json(new)).await
    }

    pub async fn tokens(&self, token: &str) -> Result<Vec<IdToken>, CoreError> {
        self.send(self.request(Method::GET, "/v1/tokens", Some(token))).await
    }

    pub async fn update_token(&self, token: &str, id_tag: &str, update: &IdTokenUpdate) -> Result<IdToken, CoreError> {
        let path = format!("/v1/tokens/{}", percent_encoding::utf8_percent_encode(id_tag, percent_encoding::NON_ALPHANUMERIC));
        self.send(self.request(Method::PATCH, &path, Some(token)).json(update)).await
    }

    pub async fn remove_token(&self, token: &str, id_tag: &str) -> Result<(), CoreError> {
        let path = format!("/v1/tokens/{}", percent_encoding::utf8_percent_encode(id_tag, percent_encoding::NON_ALPHANUMERIC));
        let response = self.request(Method::DELETE, &path, Some(token)).send().await.map_err(CoreError::network)?;
        checked(response).await.map(|_| ())
    }

    pub async fn wallet(&self, token: &str) -> Result<Wallet, CoreError> {
        self.send(self.request(Method::GET, "/v1/wallet", Some(token))).await
    }

    pub async fn top_up(&self, token: &str, request: &TopUpRequest, idempotency_key: &str) -> Result<TopUp, CoreError> {
        let request_builder = self.request(Method::POST, "/v1/wallet/top-ups", Some(token)).header(IDEMPOTENCY_KEY_HEADER, idempotency_key);
        self.send(request_builder.json(request)).await
    }

    pub async fn payment_methods(&self, token: &str) -> Result<Vec<PaymentMethod>, CoreError> {
        self.send(self.request(Method::GET, "/v1/payment-methods", Some(token))).await
    }

    pub async fn add_card(&self, token: &str, card: &NewCard) -> Result<PaymentMethod, CoreError> {
        self.send(self.request(Method::POST, "/v1/payment-methods", Some(token)).json(card)).await
    }

    pub async fn set_default_payment(&self, token: &str, choice: &PaymentChoice) -> Result<PaymentMethod, CoreError> {
        self.send(self.request(Method::PUT, "/v1/payment-methods/default", Some(token)).json(choice)).await
    }

    pub async fn session_payment(&self, token: &str, session_id: &str) -> Result<SessionPayment, CoreError> {
        self.send(self.request(Method::GET, &format!("/v1/sessions/{session_id}/payment"), Some(token))).await
    }

    /// A finished session's signed receipt.
    pub async fn receipt(&self, token: &str, session_id: &str) -> Result<SignedReceipt, CoreError> {
        self.send(self.request(Method::GET, &format!("/v1/sessions/{session_id}/receipt"), Some(token))).await
    }

    /// The keys the backend signs receipts with.
    pub async fn receipt_keys(&self) -> Result<Vec<ReceiptKey>, CoreError> {
        self.send(self.request(Method::GET, "/v1/receipts/keys", None)).await
    }

    /// The driver's sessions changed after `after` (incremental sync).
    pub async fn changes(&self, token: &str, after: i64, limit: u32) -> Result<SessionChanges, CoreError> {
        let path = format!("/v1/sessions/changes?after={after}&limit={limit}");
        self.send(self.request(Method::GET, &path, Some(token))).await
    }

    /// The live stream of a session: each item is the session's full state. With
    /// `last_event_id`, states up to that version are skipped by the server.
    pub async fn live_events(
        &self,
        token: &str,
        session_id: &str,
        last_event_id: Option<i64>,
    ) -> Result<impl Stream<Item = Result<Session, CoreError>> + use<>, CoreError> {
        let mut request = self
            .http
            .get(format!("{}/v1/sessions/{session_id}/live", self.base_url))
            .bearer_auth(token)
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = checked(request.send().await.map_err(CoreError::network)?).await?;
        Ok(response.bytes_stream().eventsource().filter_map(|event| async move {
            match event {
                Ok(event) if event.event == "session" => {
                    Some(serde_json::from_str::<Session>(&event.data).map_err(|e| CoreError::Internal(format!("bad live event: {e}"))))
                }
                Ok(_) => None,
                Err(e) => Some(Err(CoreError::network(e))),
            }
        }))
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base_url)).timeout(REQUEST_TIMEOUT);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, CoreError> {
        let response = checked(request.send().await.map_err(CoreError::network)?).await?;
        response.json().await.map_err(CoreError::network)
    }
}

/// Turns an error status into the API's error (or a generic one if the body is not ours).
async fn checked(response: Response) -> Result<Response, CoreError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    match serde_json::from_str::<ApiError>(&body) {
        Ok(error) => Err(CoreError::Api(error)),
        Err(_) => Err(CoreError::api(fallback_code(status), format!("ChargeKit answered {status}. Please try again later."))),
    }
}

fn fallback_code(status: StatusCode) -> ApiErrorCode {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ApiErrorCode::Unauthorized,
        StatusCode::NOT_FOUND => ApiErrorCode::NotFound,
        StatusCode::CONFLICT => ApiErrorCode::Conflict,
        s if s.is_client_error() => ApiErrorCode::InvalidInput,
        _ => ApiErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_uses_the_built_in_roots_and_the_client_accepts_the_config() {
        let config = tls_config().unwrap();
        assert!(config.alpn_protocols.contains(&b"h2".to_vec()));
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
        // reqwest refuses a preconfigured TLS config of another rustls version at build time.
        ApiClient::new("https://api.example.com").unwrap();
        assert!(matches!(ApiClient::new("ftp://example.com"), Err(CoreError::InvalidInput(_))));
    }
}
