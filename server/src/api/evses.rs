//! EVSE lookup: what a driver sees after scanning a charger.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chargekit_model::EvseId;
use chargekit_model::api::{ApiError, EvseInfo};

use crate::AppState;
use crate::auth::AuthedDriver;
use crate::error::AppError;

/// Looks up an EVSE by its ID (with or without `*`, any case).
#[utoipa::path(get, path = "/v1/evses/{evse_id}", operation_id = "lookup_evse", tag = "evses", params(("evse_id" = String, Path, description = "The EVSE ID, with or without `*`, any case", example = "DE*CKT*E0001*1")),
    responses(
        (status = 200, body = EvseInfo, description = "The EVSE, its state and its tariff"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No charger has this EVSE ID"),
        (status = 422, body = ApiError, description = "This is not an EVSE ID"),
    ))]
pub async fn lookup(_driver: AuthedDriver, State(state): State<Arc<AppState>>, Path(evse_id): Path<String>) -> Result<Json<EvseInfo>, AppError> {
    let evse_id = EvseId::parse(&evse_id).map_err(|e| AppError::invalid(e.to_string()))?;
    let evse = state
        .store
        .evse(&evse_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("No charger has the EVSE ID {evse_id}. Check the ID on the charger's label.")))?;
    Ok(Json(EvseInfo {
        online: state.chargers.registry.is_online(&evse.charger_id),
        evse_id: EvseId::parse(&evse.evse_id).map_err(AppError::internal)?,
        charge_point_id: evse.charger_id,
        connector_id: u32::try_from(evse.connector_id).map_err(AppError::internal)?,
        status: evse.status,
        tariff: evse.tariff.0,
    }))
}
