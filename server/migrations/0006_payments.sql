-- Pay per session (issue #7): the payment methods a driver keeps, the prepaid wallet as a
-- double-entry ledger, and one payment per paid session. Money is integer minor units of the
-- ISO 4217 currency named next to it.

-- The driver's payment methods. Every driver has a wallet (its row is created on first use);
-- a card is the provider's payment-method id (e.g. Stripe's `pm_...`), with brand and last
-- four digits only for display. A card belongs to one driver: another driver registering the
-- same provider id is refused.
CREATE TABLE payment_methods (
    driver_id                  TEXT NOT NULL REFERENCES drivers(id),
    kind                       TEXT NOT NULL CHECK (kind IN ('wallet', 'card')),
    provider_payment_method_id TEXT UNIQUE,
    brand                      TEXT,
    last4                      TEXT,
    is_default                 INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at                 TEXT NOT NULL,
    CHECK ((kind = 'card') = (provider_payment_method_id IS NOT NULL))
);
CREATE UNIQUE INDEX payment_methods_one_wallet ON payment_methods (driver_id) WHERE kind = 'wallet';
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (driver_id) WHERE is_default = 1;

-- Ledger accounts, one per currency: each driver's wallet, and the system's top-up source
-- (money that came in from outside: a card top-up or demo money), holds (money reserved for
-- sessions running now) and revenue (captured). A balance is the sum of the account's
-- postings, kept by the trigger below; a wallet or the holds account can never go negative,
-- the top-up source is negative by construction (it is where wallet money came from).
CREATE TABLE ledger_accounts (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('wallet', 'top_up_source', 'holds', 'revenue')),
    driver_id     TEXT REFERENCES drivers(id),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    balance_minor INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'wallet') = (driver_id IS NOT NULL)),
    CHECK (kind NOT IN ('wallet', 'holds') OR balance_minor >= 0)
);
-- NULLs are distinct in a UNIQUE constraint, so wallets and system accounts get one index each.
CREATE UNIQUE INDEX ledger_accounts_wallet ON ledger_accounts (driver_id, currency) WHERE kind = 'wallet';
CREATE UNIQUE INDEX ledger_accounts_system ON ledger_accounts (kind, currency) WHERE driver_id IS NULL;

-- A balanced set of postings, applied once: the idempotency key is unique, so a retried
-- top-up, hold, capture or release finds its first application instead of posting again.
-- `amount_minor` is what the request asked for, to refuse a key reused for another amount.
CREATE TABLE ledger_transactions (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('top_up', 'hold', 'capture', 'release')),
    driver_id       TEXT NOT NULL REFERENCES drivers(id),
    session_id      TEXT,
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    -- Where a top-up's money came from: the provider's payment reference, or 'test-money'.
    reference       TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX ledger_transactions_by_driver ON ledger_transactions (driver_id, created_at);

-- Postings: signed amounts (positive adds to the account's balance). The postings of one
-- transaction sum to zero (checked in code before commit, and by the audit in the tests).
CREATE TABLE ledger_postings (
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts(id),
    amount_minor   INTEGER NOT NULL CHECK (amount_minor != 0)
);
CREATE INDEX ledger_postings_by_transaction ON ledger_postings (transaction_id);
CREATE INDEX ledger_postings_by_account ON ledger_postings (account_id);

-- Balances follow postings in the same statement, so the CHECK on ledger_accounts refuses a
-- posting that would take a wallet below zero, whatever the code above it believed.
CREATE TRIGGER ledger_postings_apply AFTER INSERT ON ledger_postings
BEGIN
    UPDATE ledger_accounts SET balance_minor = balance_minor + NEW.amount_minor WHERE id = NEW.account_id;
END;
-- The ledger is append-only: a correction is a new transaction.
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger postings are append-only');
END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN
    SELECT RAISE(ABORT, 'ledger postings are append-only');
END;

-- One payment per paid session. The hold is placed before the charger is asked to start, so
-- the session row may not exist yet when this one is written (no foreign key on session_id).
-- `held`: reserved (wallet) or authorized (card); `captured`: the final cost was taken and the
-- rest released; `released`: a wallet hold given back in full; `voided`: a card authorization
-- cancelled; `failed`: the capture or void could not be done (see failure_reason).
CREATE TABLE payments (
    session_id                 TEXT PRIMARY KEY,
    driver_id                  TEXT NOT NULL REFERENCES drivers(id),
    method                     TEXT NOT NULL CHECK (method IN ('wallet', 'card')),
    provider_payment_method_id TEXT,
    status                     TEXT NOT NULL CHECK (status IN ('held', 'captured', 'released', 'voided', 'failed')),
    currency                   TEXT NOT NULL CHECK (length(currency) = 3),
    held_minor                 INTEGER NOT NULL CHECK (held_minor > 0),
    captured_minor             INTEGER NOT NULL DEFAULT 0 CHECK (captured_minor >= 0 AND captured_minor <= held_minor),
    -- The part of the final cost above the hold (the charger stops a little after asked).
    uncollected_minor          INTEGER NOT NULL DEFAULT 0 CHECK (uncollected_minor >= 0),
    -- The card provider's reference (Stripe: the PaymentIntent id).
    provider_reference         TEXT,
    -- Capture or void attempts made so far.
    attempts                   INTEGER NOT NULL DEFAULT 0,
    failure_reason             TEXT,
    -- Set when the server asked the charger to stop because the cost reached the hold.
    stop_requested_at          TEXT,
    note                       TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    CHECK ((method = 'card') = (provider_payment_method_id IS NOT NULL))
);
CREATE INDEX payments_by_driver ON payments (driver_id, status);
CREATE INDEX payments_by_status ON payments (status);
