//! The driver API: REST + JSON under `/v1`, live session updates as Server-Sent Events, and
//! its OpenAPI description at `/openapi.json`.

mod auth;
mod evses;
mod operator;
mod sessions;
mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, patch, post};
use utoipa::OpenApi;

use crate::AppState;

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
        .route("/v1/tokens", post(tokens::register).get(tokens::list))
        .route("/v1/tokens/{id_tag}", patch(tokens::update).delete(tokens::remove))
        .route("/v1/operator/sign-in", post(operator::sign_in))
        .route("/v1/operator/chargers/{charger_id}/commands", post(operator::command))
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
        operator::sign_in, operator::command,
    ),
    components(schemas(
        chargekit_model::api::Credentials, chargekit_model::api::AuthToken, chargekit_model::api::RefreshRequest, chargekit_model::api::EvseInfo,
        chargekit_model::api::StartSessionRequest, chargekit_model::api::SessionPage, chargekit_model::api::SessionChanges,
        chargekit_model::api::ApiError, chargekit_model::api::ApiErrorCode,
        chargekit_model::Session, chargekit_model::SessionStatus, chargekit_model::AuthMethod,
        chargekit_model::api::NewIdToken, chargekit_model::api::IdToken, chargekit_model::api::IdTokenKind,
        chargekit_model::api::IdTokenStatus, chargekit_model::api::IdTokenUpdate,
        operator::OperatorCredentials, operator::OperatorToken, operator::ChargerCommand, operator::CommandResult,
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
