//! Payments: the driver's payment methods, the wallet ledger and the payment of each paid
//! session.
//!
//! Ledger writes run in `BEGIN IMMEDIATE` transactions (`Store::begin_write`): the write lock is taken before the
//! idempotency key is looked up, so two retries of one request cannot both miss it, and a
//! balance read for a decision is still the balance when the postings go in. A posting that
//! would take a wallet below zero is refused by the database itself (see the migration).

use chargekit_model::Currency;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use time::OffsetDateTime;

use super::{Store, StoreError};

/// An account of the ledger, by what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account<'a> {
    /// A driver's wallet (one per currency).
    Wallet(&'a str),
    /// Where wallet money comes from: a card top-up, or demo money.
    TopUpSource,
    /// Money reserved for sessions going on now.
    Holds,
    /// Money taken for sessions.
    Revenue,
}

impl Account<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Self::Wallet(_) => "wallet",
            Self::TopUpSource => "top_up_source",
            Self::Holds => "holds",
            Self::Revenue => "revenue",
        }
    }

    fn driver_id(&self) -> Option<&str> {
        match self {
            Self::Wallet(driver_id) => Some(driver_id),
            _ => None,
        }
    }
}

/// One posting: a signed amount (positive adds to the account's balance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg<'a> {
    pub account: Account<'a>,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    TopUp,
    Hold,
    Capture,
    Release,
}

impl LedgerKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::TopUp => "top_up",
            Self::Hold => "hold",
            Self::Capture => "capture",
            Self::Release => "release",
        }
    }
}

/// A balanced set of postings, applied once per idempotency key.
#[derive(Debug, Clone)]
pub struct LedgerEntry<'a> {
    pub key: String,
    pub kind: LedgerKind,
    pub driver_id: &'a str,
    pub session_id: Option<&'a str>,
    pub currency: Currency,
    /// What the request was for (a top-up's amount, a hold, a capture's amount): a retry with
    /// the same key must ask for the same.
    pub amount_minor: i64,
    pub reference: Option<&'a str>,
    pub legs: Vec<Leg<'a>>,
}

/// What posting an entry came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Applied(LedgerTransactionRow),
    /// The key was applied before: nothing was posted now.
    Replayed(LedgerTransactionRow),
}

impl Posted {
    pub fn row(&self) -> &LedgerTransactionRow {
        match self {
            Self::Applied(row) | Self::Replayed(row) => row,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("the postings of a ledger transaction do not sum to zero")]
    Unbalanced,
    #[error("not enough money in the wallet ({available_minor} available)")]
    InsufficientFunds { available_minor: i64 },
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error("the payment is not held any more")]
    NotHeld,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerTransactionRow {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub driver_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A payment to open, with the hold it records.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub session_id: &'a str,
    pub driver_id: &'a str,
    /// `wallet` or `card`.
    pub method: &'a str,
    pub provider_payment_method_id: Option<&'a str>,
    pub currency: Currency,
    pub held_minor: i64,
    pub provider_reference: Option<&'a str>,
}

/// How a held payment ends.
#[derive(Debug, Clone)]
pub struct PaymentClose<'a> {
    pub session_id: &'a str,
    /// `captured`, `released`, `voided` or `failed`.
    pub status: &'a str,
    pub captured_minor: i64,
    pub uncollected_minor: i64,
    pub failure_reason: Option<&'a str>,
}

/// The change to a payment made in the same database transaction as a ledger entry.
#[derive(Debug, Clone)]
pub enum PaymentChange<'a> {
    Open(NewPayment<'a>),
    Close(PaymentClose<'a>),
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub session_id: String,
    pub driver_id: String,
    pub method: String,
    pub provider_payment_method_id: Option<String>,
    pub status: String,
    pub currency: String,
    pub held_minor: i64,
    pub captured_minor: i64,
    pub uncollected_minor: i64,
    pub provider_reference: Option<String>,
    pub attempts: i64,
    pub failure_reason: Option<String>,
    pub stop_requested_at: Option<OffsetDateTime>,
    pub note: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentMethodRow {
    pub kind: String,
    pub provider_payment_method_id: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub is_default: bool,
}

/// A wallet balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletBalanceRow {
    pub currency: String,
    pub available_minor: i64,
    pub held_minor: i64,
}

const SELECT_PAYMENT: &str = "SELECT session_id, driver_id, method, provider_payment_method_id, status, currency, held_minor,
        captured_minor, uncollected_minor, provider_reference, attempts, failure_reason, stop_requested_at, note, created_at
     FROM payments WHERE session_id = ?";

impl Store {
    /// Applies a ledger entry — and the payment change that goes with it — once per key.
    pub async fn post_ledger(&self, entry: &LedgerEntry<'_>, change: Option<&PaymentChange<'_>>) -> Result<Posted, PostError> {
        if entry.legs.iter().map(|l| l.amount_minor).sum::<i64>() != 0 || entry.legs.iter().any(|l| l.amount_minor == 0) {
            return Err(PostError::Unbalanced);
        }
        let mut tx = self.begin_write().await?;
        if let Some(first) = ledger_transaction_in(tx.transaction(), &entry.key).await? {
            let same = first.kind == entry.kind.as_str()
                && first.driver_id == entry.driver_id
                && first.currency == entry.currency.code()
                && first.amount_minor == entry.amount_minor;
            return if same { Ok(Posted::Replayed(first)) } else { Err(PostError::KeyReused) };
        }
        match change {
            Some(PaymentChange::Open(new)) => insert_payment_in(tx.transaction(), new).await?,
            // Captured or released already by another path: post nothing.
            Some(PaymentChange::Close(close)) if !close_payment_in(tx.transaction(), close).await? => return Err(PostError::NotHeld),
            Some(PaymentChange::Close(_)) | None => {}
        }
        let now = OffsetDateTime::now_utc();
        let transaction_id: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_transactions (idempotency_key, kind, driver_id, session_id, currency, amount_minor, reference, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&entry.key)
        .bind(entry.kind.as_str())
        .bind(entry.driver_id)
        .bind(entry.session_id)
        .bind(entry.currency.code())
        .bind(entry.amount_minor)
        .bind(entry.reference)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for leg in &entry.legs {
            let account_id = account_in(tx.transaction(), leg.account, entry.currency).await?;
            if let Account::Wallet(_) = leg.account {
                let balance: i64 = sqlx::query_scalar("SELECT balance_minor FROM ledger_accounts WHERE id = ?")
                    .bind(account_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if balance + leg.amount_minor < 0 {
                    return Err(PostError::InsufficientFunds { available_minor: balance });
                }
            }
            let inserted = sqlx::query("INSERT INTO ledger_postings (transaction_id, account_id, amount_minor) VALUES (?, ?, ?)")
                .bind(transaction_id)
                .bind(account_id)
                .bind(leg.amount_minor)
                .execute(&mut *tx)
                .await;
            if let Err(e) = inserted {
                // The balance CHECK is the last line: it holds even if the read above were wrong.
                if is_check_violation(&e) {
                    return Err(PostError::InsufficientFunds { available_minor: 0 });
                }
                return Err(e.into());
            }
        }
        let row = ledger_transaction_in(tx.transaction(), &entry.key).await?.ok_or(PostError::Store(StoreError::RowNotFound))?;
        tx.commit().await?;
        Ok(Posted::Applied(row))
    }

    pub async fn ledger_transaction(&self, key: &str) -> Result<Option<LedgerTransactionRow>, StoreError> {
        sqlx::query_as(SELECT_LEDGER_TRANSACTION).bind(key).fetch_optional(&self.pool).await
    }

    /// Every currency the driver's wallet has money in or held, by currency code.
    pub async fn wallet_balances(&self, driver_id: &str) -> Result<Vec<WalletBalanceRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT currency, SUM(available) AS available, SUM(held) AS held FROM (
                 SELECT currency, balance_minor AS available, 0 AS held FROM ledger_accounts
                     WHERE kind = 'wallet' AND driver_id = ?1
                 UNION ALL
                 SELECT currency, 0, held_minor FROM payments WHERE driver_id = ?1 AND method = 'wallet' AND status = 'held'
             ) GROUP BY currency ORDER BY currency",
        )
        .bind(driver_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r: &SqliteRow| {
                Ok(WalletBalanceRow { currency: r.try_get("currency")?, available_minor: r.try_get("available")?, held_minor: r.try_get("held")? })
            })
            .collect()
    }

    /// Opens a card payment (its authorization was placed already).
    pub async fn insert_payment(&self, new: &NewPayment<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_payment_in(tx.transaction(), new).await?;
        tx.commit().await
    }

    /// Ends a held payment; `false` if it was not held any more (settled by someone else).
    pub async fn close_payment(&self, close: &PaymentClose<'_>) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let closed = close_payment_in(tx.transaction(), close).await?;
        tx.commit().await?;
        Ok(closed)
    }

    pub async fn payment(&self, session_id: &str) -> Result<Option<PaymentRow>, StoreError> {
        sqlx::query_as(SELECT_PAYMENT).bind(session_id).fetch_optional(&self.pool).await
    }

    /// Counts a failed capture or void attempt and keeps why.
    pub async fn record_payment_attempt(&self, session_id: &str, reason: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "UPDATE payments SET attempts = attempts + 1, failure_reason = ?, updated_at = ? WHERE session_id = ? RETURNING attempts",
        )
        .bind(reason)
        .bind(OffsetDateTime::now_utc())
        .bind(session_id)
        .fetch_one(&mut *self.write_connection().await?)
        .await
    }

    /// Marks that the server asks the charger to stop because the cost reached the hold;
    /// `false` if it asked already (or the payment is not held), so one stop is sent.
    pub async fn mark_stop_requested(&self, session_id: &str, note: &str) -> Result<bool, StoreError> {
        let now = OffsetDateTime::now_utc();
        let result = sqlx::query(
            "UPDATE payments SET stop_requested_at = ?, note = ?, updated_at = ?
             WHERE session_id = ? AND status = 'held' AND stop_requested_at IS NULL",
        )
        .bind(now)
        .bind(note)
        .bind(now)
        .bind(session_id)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The stop could not be sent: the next meter values try again.
    pub async fn clear_stop_requested(&self, session_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE payments SET stop_requested_at = NULL, updated_at = ? WHERE session_id = ? AND status = 'held'")
            .bind(OffsetDateTime::now_utc())
            .bind(session_id)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// The sessions of held payments whose session is over, or was never stored (its start
    /// died before): after a restart, these are settled.
    pub async fn unsettled_payments(&self, created_before: OffsetDateTime) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT p.session_id FROM payments p LEFT JOIN sessions s ON s.id = p.session_id
             WHERE p.status = 'held' AND (s.status IN ('completed', 'failed') OR (s.id IS NULL AND p.created_at < ?))",
        )
        .bind(created_before)
        .fetch_all(&self.pool)
        .await
    }

    /// The driver's methods: the wallet (if its row exists yet) and cards, oldest first.
    pub async fn payment_methods_of(&self, driver_id: &str) -> Result<Vec<PaymentMethodRow>, StoreError> {
        sqlx::query_as(
            "SELECT kind, provider_payment_method_id, brand, last4, is_default FROM payment_methods
             WHERE driver_id = ? ORDER BY kind = 'card', created_at, rowid",
        )
        .bind(driver_id)
        .fetch_all(&self.pool)
        .await
    }

    /// The driver's card with this provider id, if it is theirs.
    pub async fn card_of(&self, driver_id: &str, provider_payment_method_id: &str) -> Result<Option<PaymentMethodRow>, StoreError> {
        sqlx::query_as(
            "SELECT kind, provider_payment_method_id, brand, last4, is_default FROM payment_methods
             WHERE driver_id = ? AND kind = 'card' AND provider_payment_method_id = ?",
        )
        .bind(driver_id)
        .bind(provider_payment_method_id)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn default_payment_method(&self, driver_id: &str) -> Result<Option<PaymentMethodRow>, StoreError> {
        sqlx::query_as(
            "SELECT kind, provider_payment_method_id, brand, last4, is_default FROM payment_methods
             WHERE driver_id = ? AND is_default = 1",
        )
        .bind(driver_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Registers a card for the driver (again: updates what is shown for it). `None` if
    /// another driver registered this provider id.
    pub async fn upsert_card(&self, driver_id: &str, provider_payment_method_id: &str, brand: Option<&str>, last4: Option<&str>) -> Result<Option<PaymentMethodRow>, StoreError> {
        sqlx::query_as(
            "INSERT INTO payment_methods (driver_id, kind, provider_payment_method_id, brand, last4, created_at)
             VALUES (?, 'card', ?, ?, ?, ?)
             ON CONFLICT (provider_payment_method_id) DO UPDATE SET brand = excluded.brand, last4 = excluded.last4
                 WHERE payment_methods.driver_id = excluded.driver_id
             RETURNING kind, provider_payment_method_id, brand, last4, is_default",
        )
        .bind(driver_id)
        .bind(provider_payment_method_id)
        .bind(brand)
        .bind(last4)
        .bind(OffsetDateTime::now_utc())
        .fetch_optional(&mut *self.write_connection().await?)
        .await
    }

    /// Makes the wallet (`card` = `None`) or one of the driver's cards their default; `false`
    /// if the card is not theirs (nothing changes then).
    pub async fn set_default_payment_method(&self, driver_id: &str, card: Option<&str>) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if card.is_none() {
            ensure_wallet_method_in(tx.transaction(), driver_id).await?;
        }
        sqlx::query("UPDATE payment_methods SET is_default = 0 WHERE driver_id = ? AND is_default = 1")
            .bind(driver_id)
            .execute(&mut *tx)
            .await?;
        let result = sqlx::query(
            "UPDATE payment_methods SET is_default = 1
             WHERE driver_id = ? AND (CASE WHEN ? IS NULL THEN kind = 'wallet' ELSE provider_payment_method_id = ? END)",
        )
        .bind(driver_id)
        .bind(card)
        .bind(card)
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() != 1 {
            return Ok(false); // dropping the transaction keeps the old default
        }
        tx.commit().await?;
        Ok(true)
    }
}

const SELECT_LEDGER_TRANSACTION: &str =
    "SELECT id, idempotency_key, kind, driver_id, currency, amount_minor, reference, created_at FROM ledger_transactions WHERE idempotency_key = ?";

async fn ledger_transaction_in(tx: &mut Transaction<'_, Sqlite>, key: &str) -> Result<Option<LedgerTransactionRow>, StoreError> {
    sqlx::query_as(SELECT_LEDGER_TRANSACTION).bind(key).fetch_optional(&mut **tx).await
}

/// The id of an account, created (with a zero balance) on first use.
async fn account_in(tx: &mut Transaction<'_, Sqlite>, account: Account<'_>, currency: Currency) -> Result<i64, StoreError> {
    sqlx::query("INSERT INTO ledger_accounts (kind, driver_id, currency) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(account.kind())
        .bind(account.driver_id())
        .bind(currency.code())
        .execute(&mut **tx)
        .await?;
    sqlx::query_scalar("SELECT id FROM ledger_accounts WHERE kind = ? AND driver_id IS ? AND currency = ?")
        .bind(account.kind())
        .bind(account.driver_id())
        .bind(currency.code())
        .fetch_one(&mut **tx)
        .await
}

async fn ensure_wallet_method_in(tx: &mut Transaction<'_, Sqlite>, driver_id: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO payment_methods (driver_id, kind, created_at) VALUES (?, 'wallet', ?) ON CONFLICT DO NOTHING")
        .bind(driver_id)
        .bind(OffsetDateTime::now_utc())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_payment_in(tx: &mut Transaction<'_, Sqlite>, new: &NewPayment<'_>) -> Result<(), StoreError> {
    let now = OffsetDateTime::now_utc();
    sqlx::query(
        "INSERT INTO payments (session_id, driver_id, method, provider_payment_method_id, status, currency, held_minor,
             provider_reference, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'held', ?, ?, ?, ?, ?)",
    )
    .bind(new.session_id)
    .bind(new.driver_id)
    .bind(new.method)
    .bind(new.provider_payment_method_id)
    .bind(new.currency.code())
    .bind(new.held_minor)
    .bind(new.provider_reference)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn close_payment_in(tx: &mut Transaction<'_, Sqlite>, close: &PaymentClose<'_>) -> Result<bool, StoreError> {
    let result = sqlx::query(
        // A success clears the reason a failed attempt before it left.
        "UPDATE payments SET status = ?, captured_minor = ?, uncollected_minor = ?, failure_reason = ?, updated_at = ?
         WHERE session_id = ? AND status = 'held'",
    )
    .bind(close.status)
    .bind(close.captured_minor)
    .bind(close.uncollected_minor)
    .bind(close.failure_reason)
    .bind(OffsetDateTime::now_utc())
    .bind(close.session_id)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

fn is_check_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(db) if matches!(db.kind(), sqlx::error::ErrorKind::CheckViolation))
}

/// What the ledger's invariants come to, for tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAudit {
    pub unbalanced_transactions: i64,
    pub accounts_off_their_postings: i64,
    pub negative_wallets: i64,
    pub total_of_all_balances: i64,
    pub holds_balance: i64,
}

impl Store {
    /// The driver's wallet balance in a currency (0 for a wallet never used).
    pub async fn wallet_balance(&self, driver_id: &str, currency: Currency) -> Result<i64, StoreError> {
        let balance: Option<i64> = sqlx::query_scalar(
            "SELECT balance_minor FROM ledger_accounts WHERE kind = 'wallet' AND driver_id = ? AND currency = ?",
        )
        .bind(driver_id)
        .bind(currency.code())
        .fetch_optional(&self.pool)
        .await?;
        Ok(balance.unwrap_or(0))
    }
}

#[cfg(test)]
impl Store {

    pub async fn ledger_audit(&self) -> Result<LedgerAudit, StoreError> {
        let scalar = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await };
        Ok(LedgerAudit {
            unbalanced_transactions: scalar(
                "SELECT COUNT(*) FROM (SELECT transaction_id FROM ledger_postings GROUP BY transaction_id HAVING SUM(amount_minor) != 0)",
            )
            .await?,
            accounts_off_their_postings: scalar(
                "SELECT COUNT(*) FROM ledger_accounts a
                 WHERE a.balance_minor != (SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_postings p WHERE p.account_id = a.id)",
            )
            .await?,
            negative_wallets: scalar("SELECT COUNT(*) FROM ledger_accounts WHERE kind = 'wallet' AND balance_minor < 0").await?,
            total_of_all_balances: scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts").await?,
            holds_balance: scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts WHERE kind = 'holds'").await?,
        })
    }

    /// Posts straight into a driver's wallet, past every check in code: only the database's
    /// constraints stand in the way.
    pub async fn force_wallet_posting(&self, driver_id: &str, currency: Currency, amount_minor: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let account = account_in(tx.transaction(), Account::Wallet(driver_id), currency).await?;
        let transaction_id: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_transactions (idempotency_key, kind, driver_id, currency, amount_minor, created_at)
             VALUES ('forced', 'capture', ?, ?, 0, ?) RETURNING id",
        )
        .bind(driver_id)
        .bind(currency.code())
        .bind(OffsetDateTime::now_utc())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO ledger_postings (transaction_id, account_id, amount_minor) VALUES (?, ?, ?)")
            .bind(transaction_id)
            .bind(account)
            .bind(amount_minor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
}

#[cfg(test)]
pub fn is_check_violation_for_tests(e: &StoreError) -> bool {
    is_check_violation(e)
}
