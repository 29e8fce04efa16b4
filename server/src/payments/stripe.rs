//! A [`PaymentProvider`] speaking Stripe's PaymentIntents API, as documented:
//!
//! - authorize: `POST /v1/payment_intents` with `amount`, `currency` (lower case),
//!   `payment_method`, `capture_method=manual` and `confirm=true` — "place a hold on a
//!   payment method" (<https://docs.stripe.com/payments/place-a-hold-on-a-payment-method>,
//!   <https://docs.stripe.com/api/payment_intents/create>). An authorized intent is in status
//!   `requires_capture`. `payment_method_types[]=card` keeps the intent to cards, so confirming
//!   on the server needs no `return_url` for redirect-based methods;
//! - capture: `POST /v1/payment_intents/{id}/capture` with `amount_to_capture`; "the rest is
//!   released" (<https://docs.stripe.com/api/payment_intents/capture>);
//! - cancel: `POST /v1/payment_intents/{id}/cancel` releases a `requires_capture` intent's
//!   hold (<https://docs.stripe.com/api/payment_intents/cancel>);
//! - `Authorization: Bearer sk_...`; bodies `application/x-www-form-urlencoded`;
//! - `Idempotency-Key` on every POST: Stripe saves the status and body of the first request
//!   with a key and answers retries with them (<https://docs.stripe.com/api/idempotent_requests>);
//! - errors: `{"error": {"type", "code", "decline_code", "message"}}`; 402 "Request Failed"
//!   for a declined card (type `card_error`, whose `message` may be shown to the customer);
//!   409 for a concurrent request with the same key; 429 and 5xx are worth a retry
//!   (<https://docs.stripe.com/api/errors>).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde::Deserialize;

use chargekit_model::Money;

use super::provider::{Authorization, Captured, PaymentProvider, ProviderError, ProviderResult};
use crate::config::CardProviderConfig;

pub struct Stripe {
    http: reqwest::Client,
    api_base: String,
    secret_key: String,
}

/// The fields of a PaymentIntent this adapter reads.
#[derive(Debug, Deserialize)]
struct PaymentIntent {
    id: String,
    status: String,
    #[serde(default)]
    amount_capturable: i64,
    #[serde(default)]
    amount_received: i64,
    #[serde(default)]
    last_payment_error: Option<StripeError>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Debug, Default, Deserialize)]
struct StripeError {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Stripe {
    pub fn new(config: &CardProviderConfig) -> Result<Self, String> {
        let api_base = config.api_base.trim_end_matches('/').to_owned();
        if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
            return Err(format!("payments.card.api_base \"{api_base}\" is not an http(s) URL"));
        }
        if config.secret_key.trim().is_empty() {
            return Err("payments.card.secret_key is empty".to_owned());
        }
        // rustls needs one process-wide crypto provider; ChargeKit uses ring. Err: installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10).min(config.timeout))
            .user_agent(concat!("chargekit-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the card provider's HTTP client: {e}"))?;
        Ok(Self { http, api_base, secret_key: config.secret_key.clone() })
    }

    pub fn shared(config: &CardProviderConfig) -> Result<Arc<dyn PaymentProvider>, String> {
        Ok(Arc::new(Self::new(config)?))
    }

    /// POSTs a form and reads a PaymentIntent, or the error Stripe answered.
    async fn post(&self, path: &str, form: &[(&str, String)], idempotency_key: &str) -> ProviderResult<PaymentIntent> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str()))).finish();
        let response = self
            .http
            .post(format!("{}{path}", self.api_base))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            // Timeouts and connection failures: the request may or may not have been applied;
            // the same key makes the retry safe either way.
            .map_err(|e| ProviderError::Transient(format!("{path}: {e}")))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| ProviderError::Transient(format!("{path}: {e}")))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| ProviderError::Rejected(format!("{path}: unreadable PaymentIntent: {e}")));
        }
        let error = serde_json::from_str::<ErrorBody>(&text).map(|b| b.error).unwrap_or_default();
        Err(classify(status, &error, path))
    }
}

fn classify(status: StatusCode, error: &StripeError, path: &str) -> ProviderError {
    let describe = || {
        format!(
            "{path}: HTTP {status} {} {} {}",
            error.kind.as_deref().unwrap_or("-"),
            error.code.as_deref().unwrap_or("-"),
            error.message.as_deref().unwrap_or("")
        )
    };
    match status {
        StatusCode::PAYMENT_REQUIRED if error.kind.as_deref() == Some("card_error") => declined(error),
        StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS => ProviderError::Transient(describe()),
        s if s.is_server_error() => ProviderError::Transient(describe()),
        _ => ProviderError::Rejected(describe()),
    }
}

fn declined(error: &StripeError) -> ProviderError {
    let code = error.decline_code.clone().or_else(|| error.code.clone()).unwrap_or_else(|| "card_declined".to_owned());
    let message = error.message.clone().unwrap_or_else(|| "Your card was declined.".to_owned());
    ProviderError::Declined { code, message }
}

/// What a path segment keeps unescaped: Stripe ids are letters, digits and `_`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'-');

/// A PaymentIntent id as one path segment: ids come from Stripe, but are escaped anyway.
fn intent_path(id: &str, action: &str) -> String {
    format!("/v1/payment_intents/{}/{action}", utf8_percent_encode(id, SEGMENT))
}

impl PaymentProvider for Stripe {
    fn authorize<'a>(&'a self, amount: Money, payment_method: &'a str, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<Authorization>> {
        Box::pin(async move {
            let form = [
                ("amount", amount.amount_minor.to_string()),
                // "Three-letter ISO currency code, in lowercase."
                ("currency", amount.currency.code().to_ascii_lowercase()),
                ("payment_method", payment_method.to_owned()),
                ("payment_method_types[]", "card".to_owned()),
                ("capture_method", "manual".to_owned()),
                ("confirm", "true".to_owned()),
            ];
            let intent = self.post("/v1/payment_intents", &form, idempotency_key).await?;
            match intent.status.as_str() {
                "requires_capture" => Ok(Authorization { reference: intent.id, amount_minor: intent.amount_capturable }),
                // 3-D Secure asked for: the driver would have to confirm in the app, which the
                // server cannot do for them. Release the intent and say so.
                "requires_action" => {
                    let key = format!("{idempotency_key}-cancel");
                    if let Err(e) = self.cancel(&intent.id, &key).await {
                        tracing::warn!(error = %e, intent = %intent.id, "could not cancel an intent that needs authentication");
                    }
                    Err(ProviderError::Declined {
                        code: "authentication_required".to_owned(),
                        message: "Your bank wants to confirm this payment, which is not possible here yet. Use another card or your wallet.".to_owned(),
                    })
                }
                "requires_payment_method" => Err(declined(&intent.last_payment_error.unwrap_or_default())),
                other => Err(ProviderError::Rejected(format!("PaymentIntent {} is {other} after confirmation", intent.id))),
            }
        })
    }

    fn capture<'a>(&'a self, authorization: &'a str, amount: Money, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<Captured>> {
        Box::pin(async move {
            let form = [("amount_to_capture", amount.amount_minor.to_string())];
            let intent = self.post(&intent_path(authorization, "capture"), &form, idempotency_key).await?;
            match intent.status.as_str() {
                "succeeded" => Ok(Captured { amount_minor: intent.amount_received }),
                other => Err(ProviderError::Rejected(format!("PaymentIntent {} is {other} after capture", intent.id))),
            }
        })
    }

    fn cancel<'a>(&'a self, authorization: &'a str, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            // `abandoned`: one of the documented cancellation reasons, for a hold not needed.
            let form = [("cancellation_reason", "abandoned".to_owned())];
            let intent = self.post(&intent_path(authorization, "cancel"), &form, idempotency_key).await?;
            match intent.status.as_str() {
                "canceled" => Ok(()),
                other => Err(ProviderError::Rejected(format!("PaymentIntent {} is {other} after cancel", intent.id))),
            }
        })
    }
}

/// TLS with ring and Mozilla's roots, like the core's client: no OpenSSL, no platform verifier.
/// The alert webhooks and the push providers' clients use it too.
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: &str, code: Option<&str>, decline: Option<&str>) -> StripeError {
        StripeError {
            kind: Some(kind.to_owned()),
            code: code.map(str::to_owned),
            decline_code: decline.map(str::to_owned),
            message: Some("Your card has insufficient funds.".to_owned()),
        }
    }

    #[test]
    fn errors_are_sorted_by_what_a_retry_can_do() {
        let card = error("card_error", Some("card_declined"), Some("insufficient_funds"));
        assert_eq!(
            classify(StatusCode::PAYMENT_REQUIRED, &card, "/v1/payment_intents"),
            ProviderError::Declined { code: "insufficient_funds".into(), message: "Your card has insufficient funds.".into() }
        );
        let api = error("api_error", None, None);
        for status in [StatusCode::INTERNAL_SERVER_ERROR, StatusCode::SERVICE_UNAVAILABLE, StatusCode::TOO_MANY_REQUESTS, StatusCode::CONFLICT] {
            assert!(classify(status, &api, "/x").is_transient(), "{status}");
        }
        let invalid = error("invalid_request_error", Some("payment_intent_unexpected_state"), None);
        assert!(matches!(classify(StatusCode::BAD_REQUEST, &invalid, "/x"), ProviderError::Rejected(_)));
        assert!(matches!(classify(StatusCode::UNAUTHORIZED, &StripeError::default(), "/x"), ProviderError::Rejected(_)));
    }

    #[test]
    fn intent_ids_stay_one_path_segment() {
        assert_eq!(intent_path("pi_123", "capture"), "/v1/payment_intents/pi_123/capture");
        assert_eq!(intent_path("../x", "cancel"), "/v1/payment_intents/%2E%2E%2Fx/cancel");
    }
}
