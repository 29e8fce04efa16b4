//! Drivers and their bearer tokens.

use time::OffsetDateTime;

use super::{Store, StoreError};

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

    pub async fn driver_by_email(&self, email: &str) -> Result<Option<DriverRow>, StoreError> {
        sqlx::query_as("SELECT id, email, password_hash, app_id_tag FROM drivers WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn insert_token(
        &self,
        token_sha256: &str,
        driver_id: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO auth_tokens (token_sha256, driver_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_sha256)
            .bind(driver_id)
            .bind(OffsetDateTime::now_utc())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
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
