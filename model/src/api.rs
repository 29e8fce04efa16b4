//! Messages of the driver API (REST + JSON), shared by the server and the core so both sides
//! read and write the same shapes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::EvseId;
use crate::money::Currency;
use crate::session::Session;
use crate::tariff::Tariff;

/// The header a client sets on commands so a retry is applied once.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthToken {
    /// Opaque, short-lived access token for the `Authorization: Bearer` header.
    pub token: String,
    /// Opaque refresh token: exchanged once at `/v1/auth/refresh` for a new pair. Using one a
    /// second time revokes every token of the sign-in (it was stolen, or a copy is in use).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub refresh_token: String,
    /// When `token` stops working (refresh before, or on the first 401).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<time::OffsetDateTime>,
    pub driver_id: Uuid,
    pub email: String,
}

/// `POST /v1/auth/refresh` and `/v1/auth/sign-out`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// What a driver may know about an EVSE before charging there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvseInfo {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "DE*CKT*E0001*1"))]
    pub evse_id: EvseId,
    pub charge_point_id: String,
    pub connector_id: u32,
    /// The connector's last OCPP 1.6 status (`Available`, `Preparing`, `Charging`,
    /// `SuspendedEVSE`, `SuspendedEV`, `Finishing`, `Reserved`, `Unavailable`, `Faulted`), or
    /// `Unknown` before it reported one (or when the server holds a status it does not know).
    /// What it means for the driver is [`crate::ConnectorStatus::availability`].
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Available"))]
    pub status: crate::ConnectorStatus,
    /// Whether the charger is connected to the backend right now.
    pub online: bool,
    /// The tariff a session started here is priced with (OCPI 2.2.1 shape).
    pub tariff: Tariff,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "DE*CKT*E0001*1"))]
    pub evse_id: EvseId,
    /// How to pay. Absent: the driver's default payment method if one is set, else the wallet
    /// (a site that allows unpaid charging starts it unpaid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentChoice>,
}

impl StartSessionRequest {
    /// A start at `evse_id` with everything else as the backend defaults it.
    pub fn new(evse_id: EvseId) -> Self {
        Self { evse_id, payment: None }
    }
}

/// A page of sessions, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    /// Pass as `offset` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
}

/// The driver's sessions that changed after a cursor, in the order they changed: a page of an
/// incremental history sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionChanges {
    pub sessions: Vec<Session>,
    /// Pass as `after` next time; unchanged when nothing changed.
    pub cursor: i64,
    /// More changes wait: ask again at once.
    pub more: bool,
}

/// Machine-readable error codes of the driver API. Clients map them to typed errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiErrorCode {
    /// Missing, unknown or expired token, or a wrong email/password.
    Unauthorized,
    NotFound,
    InvalidInput,
    /// The email is taken, the connector is busy, or the session cannot change that way.
    Conflict,
    /// The charger is not connected to the backend.
    ChargerOffline,
    /// The charger refused the command.
    ChargerRejected,
    /// The charger did not answer in time.
    ChargerTimeout,
    /// Too many attempts or open connections (sign-in, registration, live streams, the
    /// connection cap): wait for the time in `Retry-After`.
    RateLimited,
    /// The payment was refused (too little in the wallet, a declined card); HTTP 402.
    PaymentRefused,
    Internal,
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ApiErrorCode,
    /// A sentence for the driver.
    pub message: String,
}

/// What kind of token a charger may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IdTokenKind {
    /// The tag the backend uses when the app starts a session.
    App,
    /// An RFID card, by its UID (upper-case hex).
    Rfid,
    /// A Plug & Charge contract, by its EMAID.
    Contract,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IdTokenStatus {
    Active,
    /// Refused at every charger (a lost card, say) until made active again.
    Blocked,
}

/// A token to register for the signed-in driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub enum NewIdToken {
    /// A card's UID as the phone read it (hex, any case, `:`/`-`/space separators allowed).
    Rfid {
        uid: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// A contract the phone verified: its EMAID and the certificate's end of validity.
    Contract {
        emaid: String,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
        expires_at: Option<time::OffsetDateTime>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
}

/// A driver's token, as the charger sees it (`id_tag`) and as the app lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdToken {
    pub id_tag: String,
    pub kind: IdTokenKind,
    pub status: IdTokenStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<time::OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: time::OffsetDateTime,
}

/// A change of a token's status (`PATCH /v1/tokens/{id_tag}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdTokenUpdate {
    pub status: IdTokenStatus,
}

/// How a driver pays for a session (and the default they set): `{"type": "wallet"}` or
/// `{"type": "card", "payment_method_id": "pm_..."}` with a card they registered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub enum PaymentChoice {
    /// The prepaid wallet, in the tariff's currency.
    Wallet,
    /// A registered card, by the card provider's payment-method id.
    Card { payment_method_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentMethodKind {
    Wallet,
    Card,
}

/// One of the driver's payment methods. The wallet is always listed, with the id `wallet`; a
/// card's id is the provider's payment-method id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethod {
    pub id: String,
    pub kind: PaymentMethodKind,
    /// For display (`visa`, `mastercard`, …), as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// Used when a start names no payment method.
    pub is_default: bool,
}

/// A card to register (`POST /v1/payment-methods`): the payment-method id the provider's SDK
/// gave the app, and what to show for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCard {
    pub payment_method_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
}

/// The driver's wallet: one balance per currency they hold money in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wallet {
    pub balances: Vec<WalletBalance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalletBalance {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    /// Free to spend or to hold for the next session.
    pub available_minor: i64,
    /// Reserved for sessions going on now; what they do not cost comes back when they end.
    pub held_minor: i64,
}

/// `POST /v1/wallet/top-ups`, with an `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    pub amount_minor: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    /// The registered card that pays for it. Absent: test money, where the server allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
}

/// A top-up as applied. A retry with the same `Idempotency-Key` answers the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopUp {
    /// The `Idempotency-Key` it was made with.
    pub id: String,
    pub amount_minor: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: time::OffsetDateTime,
}

/// Where a session's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    /// The amount is reserved (wallet) or authorized (card) while the session runs.
    Held,
    /// The final cost was taken; the rest of the hold was released.
    Captured,
    /// The wallet hold came back in full (the session never started, or cost nothing).
    Released,
    /// The card authorization was cancelled (the session never started, or cost nothing).
    Voided,
    /// Taking or releasing the money failed; the operator follows it up.
    Failed,
}

/// A session's payment (`GET /v1/sessions/{id}/payment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionPayment {
    pub session_id: Uuid,
    pub method: PaymentMethodKind,
    /// The card's payment-method id; absent for the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
    pub status: PaymentStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    pub held_minor: i64,
    pub captured_minor: i64,
    /// The part of the final cost above the hold, not taken (the charger stopped a little
    /// after the server asked it to).
    pub uncollected_minor: i64,
    /// Why charging ended early, when the server stopped it (the cost reached the hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}
