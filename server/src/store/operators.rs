//! Operator accounts and their bearer tokens.

use time::OffsetDateTime;

use super::{Store, StoreError};

impl Store {
    /// Creates or updates an operator from the configuration, and forgets operators no longer
    /// configured (their tokens go with them).
    pub async fn sync_operators(&self, operators: &[(String, String)]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let keep: Vec<&str> = operators.iter().map(|(name, _)| name.as_str()).collect();
        let existing: Vec<(String,)> = sqlx::query_as("SELECT username FROM operators").fetch_all(&mut *tx).await?;
        for (name,) in existing.iter().filter(|(name,)| !keep.contains(&name.as_str())) {
            sqlx::query("DELETE FROM operator_tokens WHERE username = ?").bind(name).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM operators WHERE username = ?").bind(name).execute(&mut *tx).await?;
        }
        for (username, password_hash) in operators {
            sqlx::query("INSERT INTO operators (username, password_hash) VALUES (?, ?)
                         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash")
                .bind(username)
                .bind(password_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    pub async fn operator_password_hash(&self, username: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM operators WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(hash,)| hash))
    }

    pub async fn insert_operator_token(&self, token_sha256: &str, username: &str, expires_at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO operator_tokens (token_sha256, username, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(token_sha256)
            .bind(username)
            .bind(OffsetDateTime::now_utc())
            .bind(expires_at)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// Ends one operator sign-in (signing out); the operator's other sign-ins stay.
    pub async fn delete_operator_token(&self, token_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM operator_tokens WHERE token_sha256 = ?").bind(token_sha256).execute(&mut *self.write_connection().await?).await?;
        Ok(())
    }

    /// The operator owning an unexpired token.
    pub async fn operator_by_token(&self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT username FROM operator_tokens WHERE token_sha256 = ? AND expires_at > ?")
            .bind(token_sha256)
            .bind(OffsetDateTime::now_utc())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(name,)| name))
    }
}
