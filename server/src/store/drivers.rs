//! Drivers and their bearer tokens.

use time::OffsetDateTime;

use super::{Store, StoreError};

/// What [`Store::rewrite_emails_once`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EmailRewrite {
    pub rewritten: usize,
    /// Drivers whose email in the new form belongs to another account already.
    pub kept_apart: Vec<String>,
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    /// The token was used up and the new pair stored, in the same sign-in.
    Refreshed { driver: DriverRow },
    /// Used before: the family is revoked now.
    Reused { family_id: String },
    /// Unknown, expired or revoked.
    Unknown,
}

/// The hashes of a new access and refresh token, and when each expires.
#[derive(Debug, Clone)]
pub struct NewTokens {
    pub access_sha256: String,
    pub access_expires_at: OffsetDateTime,
    pub refresh_sha256: String,
    pub refresh_expires_at: OffsetDateTime,
}

async fn insert_tokens(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    driver_id: &str,
    family_id: &str,
    tokens: &NewTokens,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO auth_tokens (token_sha256, driver_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&tokens.access_sha256)
        .bind(driver_id)
        .bind(family_id)
        .bind(now)
        .bind(tokens.access_expires_at)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO refresh_tokens (token_sha256, driver_id, family_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&tokens.refresh_sha256)
        .bind(driver_id)
        .bind(family_id)
        .bind(now)
        .bind(tokens.refresh_expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
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
    /// Rewrites the stored emails into `form` (the form they are looked up by) once, the first
    /// time a server starts on a database from before emails were Unicode-normalized (the
    /// `email_nfc` row of `data_fixes`). An account whose rewritten email another account holds
    /// already keeps its old one: the two were apart under the old rule, and only an operator
    /// can tell which is the driver's.
    pub async fn rewrite_emails_once(&self, form: impl Fn(&str) -> String) -> Result<EmailRewrite, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut outcome = EmailRewrite::default();
        let pending = sqlx::query("DELETE FROM data_fixes WHERE name = 'email_nfc'").execute(&mut *tx).await?.rows_affected() > 0;
        if pending {
            let drivers: Vec<(String, String)> = sqlx::query_as("SELECT id, email FROM drivers").fetch_all(&mut *tx).await?;
            for (id, email) in drivers {
                let formed = form(&email);
                if formed == email {
                    continue;
                }
                let updated = sqlx::query("UPDATE drivers SET email = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM drivers WHERE email = ?)")
                    .bind(&formed)
                    .bind(&id)
                    .bind(&formed)
                    .execute(&mut *tx)
                    .await?;
                if updated.rows_affected() == 1 { outcome.rewritten += 1 } else { outcome.kept_apart.push(id) }
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Inserts a driver and their app token; `Ok(false)` when the email is taken.
    pub async fn insert_driver(&self, driver: &DriverRow) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.begin_write().await?;
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

    /// Stores the first access and refresh token of a sign-in family.
    pub async fn insert_sign_in(&self, driver_id: &str, family_id: &str, tokens: &NewTokens) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_tokens(tx.transaction(), driver_id, family_id, tokens, OffsetDateTime::now_utc()).await?;
        tx.commit().await
    }

    /// Exchanges a refresh token for `tokens`, in one write transaction: the token is used
    /// up, its family checked, the new pair stored. Parallel refreshes with one token are
    /// serialized by the write lock: one is [`RefreshOutcome::Refreshed`], each later one finds
    /// the token used and revokes the family ([`RefreshOutcome::Reused`]), the winner's new
    /// pair with it. Nothing is ever stored into a revoked family.
    pub async fn refresh_sign_in(&self, token_sha256: &str, tokens: &NewTokens) -> Result<RefreshOutcome, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.begin_write().await?;
        let row: Option<(String, String, String, String, String, OffsetDateTime, Option<OffsetDateTime>, Option<OffsetDateTime>)> =
            sqlx::query_as(
                "SELECT d.id, d.email, d.password_hash, d.app_id_tag, r.family_id, r.expires_at, r.used_at, r.revoked_at
                 FROM refresh_tokens r JOIN drivers d ON d.id = r.driver_id WHERE r.token_sha256 = ?",
            )
            .bind(token_sha256)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id, email, password_hash, app_id_tag, family_id, expires_at, used_at, revoked_at)) = row else {
            return Ok(RefreshOutcome::Unknown);
        };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(RefreshOutcome::Unknown);
        }
        if used_at.is_some() {
            revoke_family(tx.transaction(), &family_id, now).await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused { family_id });
        }
        // A family is revoked as a whole; a token of it still unrevoked means none was, but
        // the check costs one indexed read and does not rely on that.
        let (revoked,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL)")
                .bind(&family_id)
                .fetch_one(&mut *tx)
                .await?;
        if revoked {
            return Ok(RefreshOutcome::Unknown);
        }
        sqlx::query("UPDATE refresh_tokens SET used_at = ? WHERE token_sha256 = ?").bind(now).bind(token_sha256).execute(&mut *tx).await?;
        insert_tokens(tx.transaction(), &id, &family_id, tokens, now).await?;
        tx.commit().await?;
        Ok(RefreshOutcome::Refreshed { driver: DriverRow { id, email, password_hash, app_id_tag } })
    }

    /// Signs a family out: its refresh tokens are revoked, its access tokens deleted.
    pub async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        revoke_family(tx.transaction(), family_id, OffsetDateTime::now_utc()).await?;
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

    /// Deletes one access token (sign-out of a token without a family).
    pub async fn delete_access_token(&self, token_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM auth_tokens WHERE token_sha256 = ?").bind(token_sha256).execute(&mut *self.write_connection().await?).await?;
        Ok(())
    }

    /// The driver owning an unexpired token.
    pub async fn driver_by_token(&self, token_sha256: &str) -> Result<Option<DriverRow>, StoreError> {
        Ok(self.sign_in_by_token(token_sha256).await?.map(|(driver, ..)| driver))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::credentials::stored_form;

    fn driver(id: &str, email: &str) -> DriverRow {
        DriverRow { id: id.into(), email: email.into(), password_hash: "h".into(), app_id_tag: format!("TAG{id}") }
    }

    #[tokio::test]
    async fn emails_stored_before_normalization_are_rewritten_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        // Stored as the old rule (trim, lower-case) or an older server left them.
        for (id, email) in [("a", "jos\u{e9}@example.com"), ("b", "jose\u{301}@example.com"), ("c", "ze\u{301}lie@example.com"), ("d", "Ann@Example.com")] {
            assert!(store.insert_driver(&driver(id, email)).await.unwrap());
        }
        let outcome = store.rewrite_emails_once(stored_form).await.unwrap();
        assert_eq!(outcome, EmailRewrite { rewritten: 2, kept_apart: vec!["b".into()] });
        assert_eq!(store.driver_by_email("z\u{e9}lie@example.com").await.unwrap().map(|d| d.id), Some("c".into()));
        assert_eq!(store.driver_by_email("ann@example.com").await.unwrap().map(|d| d.id), Some("d".into()));
        assert_eq!(store.driver_by_email("jos\u{e9}@example.com").await.unwrap().map(|d| d.id), Some("a".into()));

        assert!(store.insert_driver(&driver("e", "Late@Example.com")).await.unwrap());
        assert_eq!(store.rewrite_emails_once(stored_form).await.unwrap(), EmailRewrite::default(), "done once");
    }
}
