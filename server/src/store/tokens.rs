//! Identification tokens (app tags, RFID cards, contracts) and the log of every authorization
//! attempt made with one.

use chargekit_model::api::{IdToken, IdTokenKind, IdTokenStatus};
use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdTokenRow {
    pub id_tag: String,
    pub driver_id: String,
    pub kind: String,
    pub status: String,
    pub expires_at: Option<OffsetDateTime>,
    pub label: Option<String>,
    pub created_at: OffsetDateTime,
}

impl IdTokenRow {
    pub fn kind(&self) -> IdTokenKind {
        match self.kind.as_str() {
            "rfid" => IdTokenKind::Rfid,
            "contract" => IdTokenKind::Contract,
            _ => IdTokenKind::App,
        }
    }

    pub fn is_blocked(&self) -> bool {
        self.status == "blocked"
    }

    pub fn view(&self) -> IdToken {
        IdToken {
            id_tag: self.id_tag.clone(),
            kind: self.kind(),
            status: if self.is_blocked() { IdTokenStatus::Blocked } else { IdTokenStatus::Active },
            expires_at: self.expires_at,
            label: self.label.clone(),
            created_at: self.created_at,
        }
    }
}

pub fn kind_name(kind: IdTokenKind) -> &'static str {
    match kind {
        IdTokenKind::App => "app",
        IdTokenKind::Rfid => "rfid",
        IdTokenKind::Contract => "contract",
    }
}

pub fn status_name(status: IdTokenStatus) -> &'static str {
    match status {
        IdTokenStatus::Active => "active",
        IdTokenStatus::Blocked => "blocked",
    }
}

/// One authorization attempt, for the operator's log.
pub struct AuthAttempt<'a> {
    pub method: &'a str,
    pub id_tag: &'a str,
    pub charger_id: Option<&'a str>,
    pub result: &'a str,
    pub reason: Option<&'a str>,
}

impl Store {
    pub async fn id_token(&self, id_tag: &str) -> Result<Option<IdTokenRow>, StoreError> {
        sqlx::query_as("SELECT id_tag, driver_id, kind, status, expires_at, label, created_at FROM id_tokens WHERE id_tag = ?")
            .bind(id_tag)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn id_tokens_of(&self, driver_id: &str) -> Result<Vec<IdTokenRow>, StoreError> {
        sqlx::query_as(
            "SELECT id_tag, driver_id, kind, status, expires_at, label, created_at FROM id_tokens
             WHERE driver_id = ? ORDER BY created_at, id_tag",
        )
        .bind(driver_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Registers a token for a driver. Registering the driver's own token again updates its
    /// label and validity; `Ok(None)` when the tag belongs to another driver.
    pub async fn upsert_id_token(&self, token: &IdTokenRow) -> Result<Option<IdTokenRow>, StoreError> {
        let result = sqlx::query(
            "INSERT INTO id_tokens (id_tag, driver_id, kind, status, expires_at, label, created_at)
             VALUES (?, ?, ?, 'active', ?, ?, ?)
             ON CONFLICT (id_tag) DO UPDATE SET expires_at = excluded.expires_at, label = excluded.label
             WHERE id_tokens.driver_id = excluded.driver_id AND id_tokens.kind = excluded.kind",
        )
        .bind(&token.id_tag)
        .bind(&token.driver_id)
        .bind(&token.kind)
        .bind(token.expires_at)
        .bind(&token.label)
        .bind(token.created_at)
        .execute(&mut *self.write_connection().await?)
        .await?;
        if result.rows_affected() == 0 {
            return Ok(None);
        }
        self.id_token(&token.id_tag).await
    }

    /// Sets a driver's token active or blocked; `Ok(None)` if the driver has no such token.
    pub async fn set_id_token_status(&self, driver_id: &str, id_tag: &str, status: &str) -> Result<Option<IdTokenRow>, StoreError> {
        sqlx::query_as(
            "UPDATE id_tokens SET status = ? WHERE id_tag = ? AND driver_id = ? AND kind != 'app'
             RETURNING id_tag, driver_id, kind, status, expires_at, label, created_at",
        )
        .bind(status)
        .bind(id_tag)
        .bind(driver_id)
        .fetch_optional(&mut *self.write_connection().await?)
        .await
    }

    /// Removes a driver's card or contract (the app tag stays); whether there was one.
    pub async fn delete_id_token(&self, driver_id: &str, id_tag: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM id_tokens WHERE id_tag = ? AND driver_id = ? AND kind != 'app'")
            .bind(id_tag)
            .bind(driver_id)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    pub async fn record_auth_attempt(&self, attempt: &AuthAttempt<'_>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO auth_attempts (at, method, id_tag, charger_id, result, reason) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(OffsetDateTime::now_utc())
            .bind(attempt.method)
            .bind(attempt.id_tag)
            .bind(attempt.charger_id)
            .bind(attempt.result)
            .bind(attempt.reason)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }
}
