//! The prepaid wallet as a double-entry ledger: every movement is a transaction of postings
//! that sum to zero, between a driver's wallet and the system's accounts, under an
//! idempotency key so a retried top-up, hold, capture or release is applied once.
//!
//! | movement | postings (H held, C captured) |
//! |---|---|
//! | top-up of A | top-up source −A, wallet +A |
//! | hold of H | wallet −H, holds +H |
//! | capture of C ≤ H | holds −H, revenue +C, wallet +(H − C) |
//! | release | holds −H, wallet +H |
//!
//! A capture releases the rest of the hold in the same transaction, and it and the release
//! both close the session's payment in that transaction too: a payment is captured or
//! released, never both, and never twice. The SQL is in `store::payments`.

use chargekit_model::{Currency, Money};

use crate::store::{Account, LedgerEntry, LedgerKind, Leg, NewPayment, PaymentChange, PaymentClose, PaymentRow, PostError, Posted, Store};

pub struct Ledger<'a> {
    store: &'a Store,
}

/// The ledger's idempotency key of a driver's top-up: the client's key is theirs alone.
pub fn top_up_key(driver_id: &str, client_key: &str) -> String {
    format!("top_up:{driver_id}:{client_key}")
}

impl<'a> Ledger<'a> {
    pub fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Puts `amount` in the driver's wallet; `reference` says where it came from (the card
    /// payment, or test money).
    pub async fn top_up(&self, driver_id: &str, client_key: &str, amount: Money, reference: &str) -> Result<Posted, PostError> {
        let entry = LedgerEntry {
            key: top_up_key(driver_id, client_key),
            kind: LedgerKind::TopUp,
            driver_id,
            session_id: None,
            currency: amount.currency,
            amount_minor: amount.amount_minor,
            reference: Some(reference),
            legs: vec![leg(Account::TopUpSource, -amount.amount_minor), leg(Account::Wallet(driver_id), amount.amount_minor)],
        };
        self.store.post_ledger(&entry, None).await
    }

    /// Moves `amount` from the wallet to holds and opens the session's payment;
    /// [`PostError::InsufficientFunds`] if the wallet has less.
    pub async fn hold(&self, driver_id: &str, session_id: &str, amount: Money) -> Result<Posted, PostError> {
        let entry = LedgerEntry {
            key: format!("hold:{session_id}"),
            kind: LedgerKind::Hold,
            driver_id,
            session_id: Some(session_id),
            currency: amount.currency,
            amount_minor: amount.amount_minor,
            reference: None,
            legs: vec![leg(Account::Wallet(driver_id), -amount.amount_minor), leg(Account::Holds, amount.amount_minor)],
        };
        let payment = NewPayment {
            session_id,
            driver_id,
            method: "wallet",
            provider_payment_method_id: None,
            currency: amount.currency,
            held_minor: amount.amount_minor,
            provider_reference: None,
        };
        self.store.post_ledger(&entry, Some(&PaymentChange::Open(payment))).await
    }

    /// Takes `captured_minor` (1 to the amount held) for revenue and gives the rest back to the
    /// wallet; `uncollected_minor` is what the session cost beyond the hold.
    pub async fn capture(&self, payment: &PaymentRow, captured_minor: i64, uncollected_minor: i64) -> Result<Posted, PostError> {
        let currency = currency_of(payment)?;
        let held = payment.held_minor;
        if !(1..=held).contains(&captured_minor) {
            return Err(PostError::Unbalanced);
        }
        let mut legs = vec![leg(Account::Holds, -held), leg(Account::Revenue, captured_minor)];
        if held > captured_minor {
            legs.push(leg(Account::Wallet(&payment.driver_id), held - captured_minor));
        }
        let entry = LedgerEntry {
            key: format!("capture:{}", payment.session_id),
            kind: LedgerKind::Capture,
            driver_id: &payment.driver_id,
            session_id: Some(&payment.session_id),
            currency,
            amount_minor: captured_minor,
            reference: None,
            legs,
        };
        let close = PaymentClose { session_id: &payment.session_id, status: "captured", captured_minor, uncollected_minor, failure_reason: None };
        self.store.post_ledger(&entry, Some(&PaymentChange::Close(close))).await
    }

    /// Gives the whole hold back to the wallet.
    pub async fn release(&self, payment: &PaymentRow) -> Result<Posted, PostError> {
        let currency = currency_of(payment)?;
        let entry = LedgerEntry {
            key: format!("release:{}", payment.session_id),
            kind: LedgerKind::Release,
            driver_id: &payment.driver_id,
            session_id: Some(&payment.session_id),
            currency,
            amount_minor: payment.held_minor,
            reference: None,
            legs: vec![leg(Account::Holds, -payment.held_minor), leg(Account::Wallet(&payment.driver_id), payment.held_minor)],
        };
        let close = PaymentClose { session_id: &payment.session_id, status: "released", captured_minor: 0, uncollected_minor: 0, failure_reason: None };
        self.store.post_ledger(&entry, Some(&PaymentChange::Close(close))).await
    }
}

fn leg(account: Account<'_>, amount_minor: i64) -> Leg<'_> {
    Leg { account, amount_minor }
}

fn currency_of(payment: &PaymentRow) -> Result<Currency, PostError> {
    // Only valid codes are written; a broken row is a storage fault.
    Currency::new(&payment.currency).map_err(|e| PostError::Store(sqlx::Error::Decode(Box::new(e))))
}

#[cfg(test)]
mod tests {
    //! The ledger against a real SQLite file: a property test drives random top-ups, holds,
    //! captures and releases, each sent once or retried, and checks after every step that no
    //! balance is negative, every transaction's postings sum to zero, every balance is the sum
    //! of its postings, and the wallets hold what a plain model of the rules says.

    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::store::DriverRow;

    const DRIVERS: usize = 2;
    const SESSIONS: usize = 6;

    #[derive(Debug, Clone)]
    enum Op {
        TopUp { driver: usize, key: u8, amount: i64 },
        Hold { driver: usize, session: usize, amount: i64 },
        Capture { session: usize, amount: i64 },
        Release { session: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..DRIVERS, 0u8..6, 1i64..5_000).prop_map(|(driver, key, amount)| Op::TopUp { driver, key, amount }),
            (0..DRIVERS, 0..SESSIONS, 1i64..4_000).prop_map(|(driver, session, amount)| Op::Hold { driver, session, amount }),
            (0..SESSIONS, 1i64..5_000).prop_map(|(session, amount)| Op::Capture { session, amount }),
            (0..SESSIONS).prop_map(|session| Op::Release { session }),
        ]
    }

    /// What the rules say the wallets hold.
    #[derive(Default)]
    struct Model {
        wallets: [i64; DRIVERS],
        /// Top-up key → amount first applied with it.
        top_ups: HashMap<(usize, u8), i64>,
        /// Session → (driver, held), while held.
        held: HashMap<usize, (usize, i64)>,
        /// Sessions whose hold was placed once (a hold key is never applied again).
        hold_keys: HashMap<usize, (usize, i64)>,
        /// Sessions captured or released, and for how much (a capture retry must ask the same).
        closed: HashMap<usize, Option<i64>>,
    }

    async fn open_store(dir: &tempfile::TempDir) -> (Store, Vec<String>) {
        let store = Store::open(&dir.path().join("ledger.db")).await.unwrap();
        let mut drivers = Vec::new();
        for i in 0..DRIVERS {
            let id = format!("00000000-0000-0000-0000-00000000000{i}");
            let row = DriverRow { id: id.clone(), email: format!("d{i}@example.com"), password_hash: "x".into(), app_id_tag: format!("TAG{i}") };
            assert!(store.insert_driver(&row).await.unwrap());
            drivers.push(id);
        }
        (store, drivers)
    }

    async fn apply(store: &Store, drivers: &[String], model: &mut Model, op: &Op, retry: bool) {
        let ledger = Ledger::new(store);
        let eur = Currency::EUR;
        let session_id = |s: usize| format!("session-{s}");
        for attempt in 0..(1 + usize::from(retry)) {
            let first = attempt == 0;
            match *op {
                Op::TopUp { driver, key, amount } => {
                    let result = ledger.top_up(&drivers[driver], &format!("k{key}"), Money::new(amount, eur), "test-money").await;
                    match model.top_ups.get(&(driver, key)).copied() {
                        None => {
                            assert!(matches!(result, Ok(Posted::Applied(_))), "{result:?}");
                            model.top_ups.insert((driver, key), amount);
                            model.wallets[driver] += amount;
                        }
                        Some(first_amount) if first_amount == amount => assert!(matches!(result, Ok(Posted::Replayed(_))), "{result:?}"),
                        Some(_) => assert!(matches!(result, Err(PostError::KeyReused)), "{result:?}"),
                    }
                }
                Op::Hold { driver, session, amount } => {
                    let result = ledger.hold(&drivers[driver], &session_id(session), Money::new(amount, eur)).await;
                    match model.hold_keys.get(&session).copied() {
                        Some((d, a)) if d == driver && a == amount => assert!(matches!(result, Ok(Posted::Replayed(_))), "{result:?}"),
                        Some(_) => assert!(matches!(result, Err(PostError::KeyReused)), "{result:?}"),
                        None if model.wallets[driver] < amount => {
                            assert!(
                                matches!(result, Err(PostError::InsufficientFunds { available_minor }) if available_minor == model.wallets[driver]),
                                "{result:?}"
                            );
                        }
                        None => {
                            assert!(matches!(result, Ok(Posted::Applied(_))), "{result:?}");
                            model.wallets[driver] -= amount;
                            model.held.insert(session, (driver, amount));
                            model.hold_keys.insert(session, (driver, amount));
                        }
                    }
                }
                Op::Capture { session, amount } => {
                    let Some(payment) = store.payment(&session_id(session)).await.unwrap() else { continue };
                    let captured = amount.min(payment.held_minor);
                    let result = ledger.capture(&payment, captured, amount - captured).await;
                    match (model.held.get(&session).copied(), model.closed.get(&session).copied()) {
                        (Some((driver, held)), _) => {
                            assert!(first, "a retry finds the payment captured");
                            assert!(matches!(result, Ok(Posted::Applied(_))), "{result:?}");
                            model.wallets[driver] += held - captured;
                            model.held.remove(&session);
                            model.closed.insert(session, Some(captured));
                        }
                        (None, Some(Some(c))) if c == captured => assert!(matches!(result, Ok(Posted::Replayed(_))), "{result:?}"),
                        (None, Some(Some(_))) => assert!(matches!(result, Err(PostError::KeyReused)), "{result:?}"),
                        (None, _) => assert!(matches!(result, Err(PostError::NotHeld)), "{result:?}"),
                    }
                }
                Op::Release { session } => {
                    let Some(payment) = store.payment(&session_id(session)).await.unwrap() else { continue };
                    let result = ledger.release(&payment).await;
                    match (model.held.get(&session).copied(), model.closed.get(&session).copied()) {
                        (Some((driver, held)), _) => {
                            assert!(matches!(result, Ok(Posted::Applied(_))), "{result:?}");
                            model.wallets[driver] += held;
                            model.held.remove(&session);
                            model.closed.insert(session, None);
                        }
                        (None, Some(None)) => assert!(matches!(result, Ok(Posted::Replayed(_))), "{result:?}"),
                        (None, _) => assert!(matches!(result, Err(PostError::NotHeld)), "{result:?}"),
                    }
                }
            }
        }
    }

    async fn check_invariants(store: &Store, drivers: &[String], model: &Model) {
        let audit = store.ledger_audit().await.unwrap();
        assert_eq!(audit.unbalanced_transactions, 0, "every transaction's postings sum to zero");
        assert_eq!(audit.accounts_off_their_postings, 0, "every balance is the sum of its postings");
        assert_eq!(audit.negative_wallets, 0, "no wallet below zero");
        assert_eq!(audit.total_of_all_balances, 0, "money is only moved, never made");
        for (i, driver) in drivers.iter().enumerate() {
            assert_eq!(store.wallet_balance(driver, Currency::EUR).await.unwrap(), model.wallets[i]);
        }
        assert_eq!(audit.holds_balance, model.held.values().map(|(_, h)| h).sum::<i64>(), "holds are the open payments");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn retried_random_movements_keep_the_ledger_balanced_and_never_negative(
            ops in proptest::collection::vec((op(), any::<bool>()), 1..40)
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let (store, drivers) = open_store(&dir).await;
                let mut model = Model::default();
                for (op, retry) in &ops {
                    apply(&store, &drivers, &mut model, op, *retry).await;
                    check_invariants(&store, &drivers, &model).await;
                }
                store.close().await;
            });
        }
    }

    #[tokio::test]
    async fn a_posting_that_would_overdraw_a_wallet_is_refused_by_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let (store, drivers) = open_store(&dir).await;
        let ledger = Ledger::new(&store);
        ledger.top_up(&drivers[0], "a", Money::new(100, Currency::EUR), "test-money").await.unwrap();
        let hold = |amount: i64| LedgerEntry {
            key: format!("raw-{amount}"),
            kind: LedgerKind::Hold,
            driver_id: &drivers[0],
            session_id: None,
            currency: Currency::EUR,
            amount_minor: amount,
            reference: None,
            legs: vec![leg(Account::Holds, amount), leg(Account::Wallet(&drivers[0]), -amount)],
        };
        assert!(matches!(store.post_ledger(&hold(101), None).await, Err(PostError::InsufficientFunds { available_minor: 100 })));
        let unbalanced = LedgerEntry { legs: vec![leg(Account::Holds, 1)], ..hold(1) };
        assert!(matches!(store.post_ledger(&unbalanced, None).await, Err(PostError::Unbalanced)));
        // Past every check in code, the CHECK constraint refuses it.
        let forced = store.force_wallet_posting(&drivers[0], Currency::EUR, -101).await.unwrap_err();
        assert!(crate::store::is_check_violation_for_tests(&forced), "{forced}");
        assert_eq!(store.wallet_balance(&drivers[0], Currency::EUR).await.unwrap(), 100);
        assert_eq!(store.ledger_audit().await.unwrap().negative_wallets, 0);
    }
}
