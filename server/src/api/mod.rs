//! The driver API: REST + JSON under `/v1`, live session updates as Server-Sent Events, and
//! its OpenAPI description at `/openapi.json`.

mod auth;
mod evses;
mod sessions;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/auth/register", post(auth::register))
        .route("/v1/auth/sign-in", post(auth::sign_in))
        .route("/v1/evses/{evse_id}", get(evses::lookup))
        .route("/v1/sessions", post(sessions::start).get(sessions::list))
        .route("/v1/sessions/changes", get(sessions::changes))
        .route("/v1/sessions/{id}", get(sessions::get_one))
        .route("/v1/sessions/{id}/stop", post(sessions::stop))
        .route("/v1/sessions/{id}/live", get(sessions::live))
        .route("/openapi.json", get(openapi_json))
        .route("/health", get(|| async { "ok" }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "ChargeKit driver API", description = "Start, watch and review charging sessions."),
    paths(
        auth::register, auth::sign_in, evses::lookup,
        sessions::start, sessions::list, sessions::changes, sessions::get_one, sessions::stop, sessions::live,
    ),
    components(schemas(
        chargekit_model::api::Credentials, chargekit_model::api::AuthToken, chargekit_model::api::EvseInfo,
        chargekit_model::api::StartSessionRequest, chargekit_model::api::SessionPage, chargekit_model::api::SessionChanges,
        chargekit_model::api::ApiError, chargekit_model::api::ApiErrorCode,
        chargekit_model::Session, chargekit_model::SessionStatus,
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
