//! The driver API: REST + JSON under `/v1`, live session updates as Server-Sent Events, and
//! its OpenAPI description at `/openapi.json`.

mod auth;
pub(crate) mod credentials;
mod evses;
mod json_errors;
mod no_store;
mod operator;
mod operator_alerts;
mod operator_chargers;
mod operator_fleet;
mod operator_messages;
mod operator_reports;
mod operator_sessions;
mod operator_review;
mod payments;
mod receipts;
mod session_errors;
mod sessions;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, patch, post, put};
use utoipa::OpenApi;

use crate::AppState;

/// Anything no route takes: the API's 404, as JSON.
pub async fn no_such_endpoint() -> crate::error::AppError {
    crate::error::AppError::not_found("No such endpoint. The API is described at /openapi.json.")
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/auth/register", post(auth::register))
        .route("/v1/auth/sign-in", post(auth::sign_in))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/auth/sign-out", post(auth::sign_out))
        .route("/v1/evses/{evse_id}", get(evses::lookup))
        .route("/v1/sessions", post(sessions::start).get(sessions::list))
        .route("/v1/sessions/changes", get(sessions::changes))
        .route("/v1/sessions/{id}", get(sessions::get_one))
        .route("/v1/sessions/{id}/stop", post(sessions::stop))
        .route("/v1/sessions/{id}/live", get(sessions::live))
        .route("/v1/sessions/{id}/receipt", get(receipts::get))
        .route("/v1/receipts/keys", get(receipts::keys))
        .route("/v1/sessions/{id}/payment", get(payments::session_payment))
        .route("/v1/wallet", get(payments::wallet))
        .route("/v1/wallet/top-ups", post(payments::top_up))
        .route("/v1/payment-methods", get(payments::methods).post(payments::register_card))
        .route("/v1/payment-methods/default", put(payments::set_default))
        .route("/v1/tokens", post(tokens::register).get(tokens::list))
        .route("/v1/tokens/{id_tag}", patch(tokens::update).delete(tokens::remove))
        .route("/v1/operator/sign-in", post(operator::sign_in))
        .route("/v1/operator/sign-out", post(operator::sign_out))
        .route("/v1/operator/reports/revenue", get(operator_reports::revenue))
        .route("/v1/operator/reports/revenue.csv", get(operator_reports::revenue_csv))
        .route("/v1/operator/reports/performance", get(operator_reports::performance))
        .route("/v1/operator/reports/performance.csv", get(operator_reports::performance_csv))
        .route("/v1/operator/reports/authentication", get(operator_reports::authentication))
        .route("/v1/operator/reports/authentication.csv", get(operator_reports::authentication_csv))
        .route("/v1/operator/reports/authorization-log", get(operator_reports::authorization_log))
        .route("/v1/operator/reports/authorization-log.csv", get(operator_reports::authorization_log_csv))
        .route("/v1/operator/chargers/{charger_id}", get(operator_chargers::detail))
        .route("/v1/operator/chargers/{charger_id}/commands", post(operator::command))
        .route("/v1/operator/chargers/{charger_id}/messages", get(operator_messages::charger))
        .route("/v1/operator/audit", get(operator_chargers::audit))
        .route("/v1/operator/fleet", get(operator_fleet::snapshot))
        .route("/v1/operator/fleet/events", get(operator_fleet::events))
        .route("/v1/operator/alerts", get(operator_alerts::list))
        .route("/v1/operator/sessions", get(operator_sessions::search))
        .route("/v1/operator/sessions/held", get(operator_review::held))
        .route("/v1/operator/sessions/{session_id}", get(operator_sessions::detail))
        .route("/v1/operator/sessions/{session_id}/review", post(operator_review::review))
        .route("/v1/operator/sessions/{session_id}/messages", get(operator_messages::session))
        .route("/v1/operator/orphans", get(operator_review::orphans))
        .route("/v1/operator/orphans/{orphan_id}/resolve", post(operator_review::resolve_orphan))
        .merge(crate::push::api::routes())
        .layer(axum::middleware::map_response(json_errors::as_json))
        .route("/openapi.json", get(openapi_json))
        .route("/health", get(|| async { "ok" }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "ChargeKit driver API", description = "Start, watch and review charging sessions."),
    paths(
        auth::register, auth::sign_in, auth::refresh, auth::sign_out, evses::lookup,
        sessions::start, sessions::list, sessions::changes, sessions::get_one, sessions::stop, sessions::live,
        tokens::register, tokens::list, tokens::update, tokens::remove,
        payments::wallet, payments::top_up, payments::methods, payments::register_card, payments::set_default,
        payments::session_payment,
        operator::sign_in, operator::sign_out, operator::command, operator_chargers::detail, operator_chargers::audit,
        operator_fleet::snapshot, operator_fleet::events,
        operator_sessions::search, operator_sessions::detail, operator_review::held, operator_review::review, operator_review::orphans, operator_review::resolve_orphan,
        operator_reports::revenue, operator_reports::revenue_csv, operator_reports::performance,
        operator_reports::performance_csv, operator_reports::authentication, operator_reports::authentication_csv,
        operator_reports::authorization_log, operator_reports::authorization_log_csv, operator_reports::metrics_doc, receipts::get, receipts::keys,
        operator_alerts::list, operator_messages::charger, operator_messages::session,
        crate::push::api::register, crate::push::api::list, crate::push::api::remove,
    ),
    components(schemas(
        chargekit_model::api::Credentials, chargekit_model::api::AuthToken, chargekit_model::api::RefreshRequest, chargekit_model::api::EvseInfo,
        chargekit_model::api::StartSessionRequest, chargekit_model::api::SessionPage, chargekit_model::api::SessionChanges,
        chargekit_model::api::ApiError, chargekit_model::api::ApiErrorCode,
        chargekit_model::Session, chargekit_model::SessionStatus, chargekit_model::AuthMethod,
        chargekit_model::api::NewIdToken, chargekit_model::api::IdToken, chargekit_model::api::IdTokenKind,
        chargekit_model::api::IdTokenStatus, chargekit_model::api::IdTokenUpdate,
        chargekit_model::api::PaymentChoice, chargekit_model::api::PaymentMethodKind, chargekit_model::api::PaymentMethod,
        chargekit_model::api::NewCard, chargekit_model::api::Wallet, chargekit_model::api::WalletBalance,
        chargekit_model::api::TopUpRequest, chargekit_model::api::TopUp, chargekit_model::api::PaymentStatus,
        chargekit_model::api::SessionPayment,
        chargekit_model::receipt::SignedReceipt, chargekit_model::receipt::ReceiptKey,
        operator::OperatorCredentials, operator::OperatorToken, operator::ChargerCommand, operator::CommandResult,
        operator_review::HeldSession, operator_review::ReviewDecision, operator_review::ReviewRequest, operator_review::Orphan,
        operator_review::OrphanResolution,
        operator_sessions::OperatorSession, operator_sessions::OperatorSessionPage, operator_sessions::OperatorSessionDetail,
        operator_sessions::MeterPoint, operator_sessions::OperatorPayment,
        operator_chargers::ChargerDetail, operator_chargers::ConnectorNow, operator_chargers::StatusEvent,
        operator_chargers::ConnectionEvent, operator_chargers::AuditEntry,
        crate::fleet::FleetSnapshot, crate::fleet::FleetCounts, crate::fleet::FleetSite, crate::fleet::FleetCharger,
        crate::fleet::FleetConnector, crate::fleet::FleetSession, crate::fleet::RevenueToday, crate::fleet::SiteRevenue,
        chargekit_model::Availability,
        crate::reports::RevenueReport, crate::reports::PeriodSpan, crate::reports::RevenueRow, crate::reports::RevenueFigures, crate::reports::PaymentState,
        crate::reports::Period, crate::reports::GroupBy, crate::reports::PerformanceReport, crate::reports::PerformanceRow,
        crate::reports::ReasonCount, crate::reports::FaultCount, crate::reports::TimeToStart, crate::reports::HeartbeatGaps,
        crate::reports::AvailabilityFigures, crate::reports::AuthenticationReport, crate::reports::MethodCount,
        crate::reports::OutcomeCount, crate::reports::DayCount, crate::reports::UnknownToken, crate::reports::ConcurrentUse,
        crate::reports::AuthorizationLog, crate::reports::AuthLogEntry,
        crate::alerts::Alert, operator_alerts::AlertList, operator_alerts::AlertEntry, operator_alerts::AlertDelivery,
        operator_messages::OcppMessage, operator_messages::OcppMessagePage,
        crate::push::api::NewPushTokenRequest, crate::push::api::PushToken, crate::push::api::PushProviderKind, crate::push::api::PushPurpose,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
