//! Drivers and their bearer tokens.

use time::OffsetDateTime;

use super::{Store, StoreError};

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    Valid { driver_id: String, family_id: String },
    /// Used before: the family is revoked now.
    Reused { family_id: String },
    /// Unknown, expired or revoked.
    Unknown,
}

async fn revoke_family(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, family_id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM auth_tokens WHERE family_id = ?").bind(family_id).execute(&mut **tx).await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DriverRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub app_id_tag: String,
}

impl Store {
    /// Inserts a driver and their app token; `Ok(false)` when the email is taken.
    pub async fn insert_driver(&self, driver: &DriverRow) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO drivers (id, email, password_hash, app_id_tag, created_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&driver.id)
        .bind(&driver.email)
        .bind(&driver.password_hash)
        .bind(&driver.app_id_tag)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO id_tokens (id_tag, driver_id, kind, created_at) VALUES (?, ?, 'app', ?)")
            .bind(&driver.app_id_tag)
            .bind(&driver.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn driver(&self, id: &str) -> Result<Option<DriverRow>, StoreError> {
        sqlx::query_as("SELECT id, email, password_hash, app_id_tag FROM drivers WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn driver_by_email(&self, email: &str) -> Result<Option<DriverRow>, StoreError> {
        sqlx::query_as("SELECT id, email, password_hash, app_id_tag FROM drivers WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    /// Stores a new access token of a sign-in family.
    pub async fn insert_token(&self, token_sha256: &str, driver_id: &str, family_id: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO auth_tokens (token_sha256, driver_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_sha256)
            .bind(driver_id)
            .bind(family_id)
            .bind(OffsetDateTime::now_utc())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_refresh_token(&self, token_sha256: &str, driver_id: &str, family_id: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refresh_tokens (token_sha256, driver_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_sha256)
            .bind(driver_id)
            .bind(family_id)
            .bind(OffsetDateTime::now_utc())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Uses up a refresh token: its driver and family if it was valid and unused. A token
    /// used before revokes its family ([`RefreshOutcome::Reused`]).
    pub async fn use_refresh_token(&self, token_sha256: &str) -> Result<RefreshOutcome, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        let row: Option<(String, String, OffsetDateTime, Option<OffsetDateTime>, Option<OffsetDateTime>)> = sqlx::query_as(
            "SELECT driver_id, family_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_sha256 = ?",
        )
        .bind(token_sha256)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((driver_id, family_id, expires_at, used_at, revoked_at)) = row else { return Ok(RefreshOutcome::Unknown) };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(RefreshOutcome::Unknown);
        }
        if used_at.is_some() {
            revoke_family(&mut tx, &family_id, now).await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused { family_id });
        }
        sqlx::query("UPDATE refresh_tokens SET used_at = ? WHERE token_sha256 = ?").bind(now).bind(token_sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(RefreshOutcome::Valid { driver_id, family_id })
    }

    /// Signs a family out: its refresh tokens are revoked, its access tokens deleted.
    pub async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        revoke_family(&mut tx, family_id, OffsetDateTime::now_utc()).await?;
        tx.commit().await
    }

    /// The family of a refresh token, if it is one of `driver_id`'s.
    pub async fn refresh_family_of(&self, token_sha256: &str, driver_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT family_id FROM refresh_tokens WHERE token_sha256 = ? AND driver_id = ?")
            .bind(token_sha256)
            .bind(driver_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(family,)| family))
    }

    /// The driver owning an unexpired access token, with the token's sign-in family (none for
    /// tokens issued before sign-ins had families) and expiry.
    pub async fn sign_in_by_token(&self, token_sha256: &str) -> Result<Option<(DriverRow, Option<String>, OffsetDateTime)>, StoreError> {
        let row: Option<(String, String, String, String, Option<String>, OffsetDateTime)> = sqlx::query_as(
            "SELECT d.id, d.email, d.password_hash, d.app_id_tag, t.family_id, t.expires_at FROM auth_tokens t
             JOIN drivers d ON d.id = t.driver_id
             WHERE t.token_sha256 = ? AND t.expires_at > ?",
        )
        .bind(token_sha256)
        .bind(OffsetDateTime::now_utc())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, email, password_hash, app_id_tag, family_id, expires_at)| {
            (DriverRow { id, email, password_hash, app_id_tag }, family_id, expires_at)
        }))
    }

    /// The driver owning an unexpired token.
    pub async fn driver_by_token(&self, token_sha256: &str) -> Result<Option<DriverRow>, StoreError> {
        sqlx::query_as(
            "SELECT d.id, d.email, d.password_hash, d.app_id_tag FROM auth_tokens t
             JOIN drivers d ON d.id = t.driver_id
             WHERE t.token_sha256 = ? AND t.expires_at > ?",
        )
        .bind(token_sha256)
        .bind(OffsetDateTime::now_utc())
        .fetch_optional(&self.pool)
        .await
    }
}
