//! Sessions as an operator searches them: by charger, day, state, how they were authorized,
//! driver email or token; newest first, a page at a time.

use std::collections::HashMap;

use super::{SessionRow, Store, StoreError};

/// What to look for. Day keys bound the session's creation (the driver's ask, or the charger's
/// start): `[from_key, end_key)`.
#[derive(Debug, Default)]
pub struct SessionSearch<'a> {
    pub from_key: String,
    pub end_key: String,
    pub charger_id: Option<&'a str>,
    pub status: Option<&'a str>,
    pub auth_method: Option<&'a str>,
    /// In the stored form (lower case, NFC).
    pub driver_email: Option<&'a str>,
    pub id_tag: Option<&'a str>,
    /// The last session of the page before: the page goes on after it.
    pub after_session: Option<&'a str>,
    pub limit: u32,
}

impl Store {
    pub async fn search_sessions(&self, q: &SessionSearch<'_>) -> Result<Vec<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!(
            "created_at >= ?8 AND created_at < ?9
             AND (?1 IS NULL OR charger_id = ?1)
             AND (?2 IS NULL OR status = ?2)
             AND (?3 IS NULL OR auth_method = ?3)
             AND (?4 IS NULL OR driver_id IN (SELECT id FROM drivers WHERE email = ?4))
             AND (?5 IS NULL OR id_tag = ?5 COLLATE NOCASE)
             AND (?6 IS NULL OR (created_at, id) < (SELECT created_at, id FROM sessions WHERE id = ?6))
             ORDER BY created_at DESC, id DESC LIMIT ?7"
        ))
        .bind(q.charger_id)
        .bind(q.status)
        .bind(q.auth_method)
        .bind(q.driver_email)
        .bind(q.id_tag)
        .bind(q.after_session)
        .bind(q.limit)
        .bind(&q.from_key)
        .bind(&q.end_key)
        .fetch_all(&self.pool)
        .await
    }

    /// The email of each of these drivers.
    pub async fn driver_emails(&self, driver_ids: &[&str]) -> Result<HashMap<String, String>, StoreError> {
        let ids = serde_json::to_string(driver_ids).expect("strings serialize");
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, email FROM drivers WHERE id IN (SELECT value FROM json_each(?))")
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }
}
