//! The operator's alerts: those open now and the recently resolved, each with the state of its
//! webhook deliveries.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use chargekit_model::api::ApiError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::alerts::Alert;
use crate::auth::AuthedOperator;
use crate::error::AppError;

const DEFAULT_RECENT: u32 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    /// Resolved alerts listed, newest first: 0 to 500; default 50.
    pub recent: Option<u32>,
}

/// One event's delivery to one webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertDelivery {
    /// `alert.opened` or `alert.resolved`.
    pub event: String,
    pub url: String,
    pub attempts: i64,
    /// `delivered`, `retrying` (or waiting for its first attempt) or `abandoned`.
    pub state: String,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertEntry {
    #[serde(flatten)]
    pub alert: Alert,
    pub deliveries: Vec<AlertDelivery>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertList {
    /// Open alerts, oldest first.
    pub open: Vec<AlertEntry>,
    /// Resolved alerts, newest first.
    pub recent: Vec<AlertEntry>,
    /// The rules the server evaluates (the Prometheus alerts' names).
    pub rules: Vec<String>,
}

/// Open and recently resolved alerts.
#[utoipa::path(get, path = "/v1/operator/alerts", operation_id = "operator_alerts", tag = "operator", params(AlertParams),
    responses((status = 200, body = AlertList, description = "Open alerts and the recently resolved"), (status = 401, body = ApiError, description = "No operator token")))]
pub async fn list(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<AlertParams>) -> Result<Json<AlertList>, AppError> {
    let store = &state.store;
    let open = store.open_alerts().await?;
    let recent = store.resolved_alerts(p.recent.unwrap_or(DEFAULT_RECENT).min(500)).await?;
    let ids: Vec<i64> = open.iter().chain(&recent).map(|a| a.id).collect();
    let deliveries = store.deliveries_of(&ids).await?;
    let entry = |alert: crate::store::AlertRow| {
        let deliveries = deliveries
            .iter()
            .filter(|d| d.alert_id == alert.id)
            .map(|d| AlertDelivery {
                event: d.event.clone(),
                url: d.url.clone(),
                attempts: d.attempts,
                state: if d.delivered_at.is_some() { "delivered" } else if d.abandoned_at.is_some() { "abandoned" } else { "retrying" }.to_owned(),
                last_error: d.last_error.clone(),
                delivered_at: d.delivered_at,
            })
            .collect();
        AlertEntry { alert: Alert::from(alert), deliveries }
    };
    Ok(Json(AlertList {
        open: open.into_iter().map(entry).collect(),
        recent: recent.into_iter().map(entry).collect(),
        rules: crate::alerts::rule_names().map(str::to_owned).collect(),
    }))
}
