//! What the operator's fleet board starts from when the server starts: every charger with its
//! boot facts and last heartbeat, its last connection event, each connector's last status, the
//! sessions still going on, and what each charger billed today. After that the board is kept
//! in memory from the chargers' messages (see `crate::fleet`); only a session's end reads
//! today's revenue of its charger again.

use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FleetChargerRow {
    pub id: String,
    pub site: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    pub last_seen_at: Option<OffsetDateTime>,
}

/// A connector: its EVSE (none for connector 0, the charger itself) and its newest status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FleetConnectorRow {
    pub charger_id: String,
    pub connector_id: i64,
    pub evse_id: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub since: Option<OffsetDateTime>,
}

/// Completed sessions of one charger today (UTC), in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevenueTodayRow {
    pub charger_id: String,
    pub currency: String,
    pub sessions: i64,
    pub incl_vat_minor: i64,
}

impl Store {
    pub async fn fleet_chargers(&self) -> Result<Vec<FleetChargerRow>, StoreError> {
        sqlx::query_as("SELECT id, site, vendor, model, firmware_version, last_seen_at FROM chargers ORDER BY id").fetch_all(&self.pool).await
    }

    /// Every connector with an EVSE, and connector 0 of chargers that reported on it, with the
    /// newest status report of each.
    pub async fn fleet_connectors(&self) -> Result<Vec<FleetConnectorRow>, StoreError> {
        sqlx::query_as(
            "WITH last AS (SELECT charger_id, connector_id, status, error_code, at, max(julianday(at))
                           FROM connector_status_events GROUP BY charger_id, connector_id)
             SELECT e.charger_id, e.connector_id, e.evse_id, e.status, last.error_code, last.at AS since
             FROM evses e LEFT JOIN last ON last.charger_id = e.charger_id AND last.connector_id = e.connector_id
             UNION ALL
             SELECT charger_id, connector_id, NULL, status, error_code, at FROM last WHERE connector_id = 0
             ORDER BY 1, 2",
        )
        .fetch_all(&self.pool)
        .await
    }

    /// What completed sessions billed on `day` (`YYYY-MM-DD`, UTC), per charger and currency;
    /// of one charger only with `charger_id`. The same daily sums the revenue report reads.
    pub async fn revenue_of_day(&self, day: &str, charger_id: Option<&str>) -> Result<Vec<RevenueTodayRow>, StoreError> {
        sqlx::query_as(
            // sum(), not total(): integers stay integers (total() is a float).
            "SELECT charger_id, currency, sum(completed) AS sessions, sum(incl_vat_minor) AS incl_vat_minor
             FROM session_daily WHERE day = ?1 AND (?2 IS NULL OR charger_id = ?2)
             GROUP BY charger_id, currency HAVING sum(completed) > 0 ORDER BY charger_id, currency",
        )
        .bind(day)
        .bind(charger_id)
        .fetch_all(&self.pool)
        .await
    }
}
