//! Signed receipts and the server's receipt signing key.

use chargekit_model::receipt::SignedReceipt;
use time::OffsetDateTime;

use super::{Store, StoreError};

impl Store {
    /// Keeps a session's receipt; a receipt issued before (a replayed stop) stays as it was.
    pub async fn insert_receipt(&self, session_id: &str, receipt: &SignedReceipt) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO receipts (session_id, payload, key_id, signature, issued_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session_id)
        .bind(&receipt.payload)
        .bind(&receipt.key_id)
        .bind(&receipt.signature)
        .bind(OffsetDateTime::now_utc())
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(())
    }

    pub async fn receipt(&self, session_id: &str) -> Result<Option<SignedReceipt>, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as("SELECT payload, key_id, signature FROM receipts WHERE session_id = ?")
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(payload, key_id, signature)| SignedReceipt {
            payload,
            key_id,
            algorithm: chargekit_model::receipt::RECEIPT_ALGORITHM.to_owned(),
            signature,
        }))
    }

    /// The stored signing key, or `generate()`'s, stored first.
    pub async fn signing_key_or(&self, generate: impl FnOnce() -> (String, Vec<u8>)) -> Result<(String, Vec<u8>), StoreError> {
        let existing: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT key_id, pkcs8 FROM signing_keys ORDER BY created_at LIMIT 1").fetch_optional(&self.pool).await?;
        if let Some(key) = existing {
            return Ok(key);
        }
        let (key_id, pkcs8) = generate();
        sqlx::query("INSERT INTO signing_keys (key_id, pkcs8, created_at) VALUES (?, ?, ?)")
            .bind(&key_id)
            .bind(&pkcs8)
            .bind(OffsetDateTime::now_utc())
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok((key_id, pkcs8))
    }

    pub async fn set_meter_public_key(&self, charger_id: &str, key: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE chargers SET meter_public_key = ? WHERE id = ?").bind(key).bind(charger_id).execute(&mut *self.write_connection().await?).await?;
        Ok(())
    }

    pub async fn meter_public_key(&self, charger_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT meter_public_key FROM chargers WHERE id = ?")
            .bind(charger_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(key,)| key))
    }
}
