//! Chargers, their EVSEs and tariffs.

use chargekit_model::ocpp::messages::ChargePointStatus;
use chargekit_model::{ConnectorStatus, EvseId, Tariff};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvseRow {
    /// The EVSE ID as seeded (with all its separators).
    pub evse_id: String,
    pub charger_id: String,
    pub connector_id: i64,
    pub status: ConnectorStatus,
    pub tariff: Json<Tariff>,
}

/// An EVSE to create or update at start.
pub struct SeedEvse<'a> {
    pub charger_id: &'a str,
    pub connector_id: u32,
    pub evse_id: &'a EvseId,
    pub tariff_id: &'a str,
}

/// The EVSE query, as a macro so each statement stays a `&'static str` (what sqlx accepts as
/// audited SQL).
macro_rules! select_evse {
    ($where:literal) => {
        concat!(
            "SELECT e.evse_id, e.charger_id, e.connector_id, e.status, t.body AS tariff
             FROM evses e JOIN tariffs t ON t.id = e.tariff_id WHERE ",
            $where
        )
    };
}

impl Store {
    pub async fn upsert_tariff(&self, tariff: &Tariff) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tariffs (id, body) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body")
            .bind(&tariff.id)
            .bind(Json(tariff))
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    pub async fn upsert_charger_evse(&self, seed: &SeedEvse<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO chargers (id) VALUES (?) ON CONFLICT (id) DO NOTHING")
            .bind(seed.charger_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO evses (evse_id, charger_id, connector_id, tariff_id) VALUES (?, ?, ?, ?)
             ON CONFLICT (evse_id) DO UPDATE SET charger_id = excluded.charger_id,
                 connector_id = excluded.connector_id, tariff_id = excluded.tariff_id",
        )
        .bind(seed.evse_id.as_str())
        .bind(seed.charger_id)
        .bind(seed.connector_id)
        .bind(seed.tariff_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// A charger's security profile and password hash; `None` for a charger not configured.
    pub async fn charger_security(&self, charger_id: &str) -> Result<Option<(u8, Option<String>)>, StoreError> {
        sqlx::query_as("SELECT security_profile, password_hash FROM chargers WHERE id = ?")
            .bind(charger_id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn set_charger_security(&self, charger_id: &str, profile: u8, password_hash: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO chargers (id, security_profile, password_hash) VALUES (?, ?, ?)
                     ON CONFLICT (id) DO UPDATE SET security_profile = excluded.security_profile, password_hash = excluded.password_hash")
            .bind(charger_id)
            .bind(profile)
            .bind(password_hash)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// A BootNotification, committed with the other chargers' writes of the moment.
    pub async fn record_boot(&self, charger_id: &str, vendor: &str, model: &str, firmware_version: Option<&str>) -> Result<(), StoreError> {
        let write = super::group_commit::Write::Boot {
            charger_id: charger_id.to_owned(),
            vendor: vendor.to_owned(),
            model: model.to_owned(),
            firmware_version: firmware_version.map(str::to_owned),
            at: OffsetDateTime::now_utc(),
        };
        self.group_write(write).await.map(|_| ())
    }

    /// The EVSE with this ID, separators ignored (see [`EvseId::compact`]).
    pub async fn evse(&self, evse_id: &EvseId) -> Result<Option<EvseRow>, StoreError> {
        sqlx::query_as(select_evse!("replace(e.evse_id, '*', '') = ?"))
            .bind(evse_id.compact())
            .fetch_optional(&self.pool)
            .await
    }

    /// The EVSE behind a charger's connector.
    pub async fn evse_on(&self, charger_id: &str, connector_id: u32) -> Result<Option<EvseRow>, StoreError> {
        sqlx::query_as(select_evse!("e.charger_id = ? AND e.connector_id = ?"))
            .bind(charger_id)
            .bind(connector_id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn evses_of(&self, charger_id: &str) -> Result<Vec<EvseRow>, StoreError> {
        sqlx::query_as(select_evse!("e.charger_id = ? ORDER BY e.connector_id"))
            .bind(charger_id)
            .fetch_all(&self.pool)
            .await
    }


    /// A StatusNotification: the connector's current status (connector 0, the charger itself,
    /// has no EVSE row) and its history, dated `at`, in one transaction shared with the other
    /// chargers' writes of the moment.
    pub async fn record_status_notification(&self, charger_id: &str, connector_id: u32, status: ChargePointStatus, error_code: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let write = super::group_commit::Write::ConnectorStatus {
            charger_id: charger_id.to_owned(),
            connector_id,
            status,
            error_code: error_code.to_owned(),
            at,
        };
        self.group_write(write).await.map(|_| ())
    }
}

/// [`Store::record_status_notification`] inside `tx`.
pub(super) async fn record_status_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    charger_id: &str,
    connector_id: u32,
    status: ChargePointStatus,
    error_code: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    // Stored as the OCPP name, the text it always was.
    let status = ConnectorStatus::from(status);
    if connector_id > 0 {
        sqlx::query("UPDATE evses SET status = ? WHERE charger_id = ? AND connector_id = ?")
            .bind(&status)
            .bind(charger_id)
            .bind(connector_id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("INSERT INTO connector_status_events (charger_id, connector_id, status, error_code, at) VALUES (?, ?, ?, ?, ?)")
        .bind(charger_id)
        .bind(connector_id)
        .bind(&status)
        .bind(error_code)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
