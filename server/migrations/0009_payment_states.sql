-- Operator revenue by payment state (see server/src/reports/), kept per day like the other
-- report sums (0005): completed sessions joined with their payment (0006), summed by the day the
-- session ended, its currency and the payment's state. Joining a million sessions to their
-- payments per report would take most of a second; these sums take a few rows per day.
--
-- States: 'captured'; 'pending' (money held, not captured yet); 'failed' (the capture could not
-- be done); 'released' (the hold given back, the card authorization voided); 'unpaid' (no
-- payment: a session not paid through the app, such as a card tapped at the charger).
-- `collected_minor` is what payments took (`captured_minor`), which may fall short of the bill.

CREATE TABLE payment_daily (
    day             TEXT NOT NULL,
    currency        TEXT NOT NULL,
    state           TEXT NOT NULL,
    sessions        INTEGER NOT NULL DEFAULT 0,
    excl_vat_minor  INTEGER NOT NULL DEFAULT 0,
    vat_minor       INTEGER NOT NULL DEFAULT 0,
    incl_vat_minor  INTEGER NOT NULL DEFAULT 0,
    collected_minor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, state)
) WITHOUT ROWID;

-- What each completed session adds, with its payment's state as it is now.
CREATE VIEW payment_contributions AS
SELECT f.session_id, f.day, f.currency,
       CASE WHEN p.status IS NULL THEN 'unpaid'
            WHEN p.status = 'captured' THEN 'captured'
            WHEN p.status = 'failed' THEN 'failed'
            WHEN p.status IN ('released', 'voided') THEN 'released'
            ELSE 'pending' END AS state,
       coalesce(f.excl_vat_minor, 0) AS excl_vat_minor, coalesce(f.vat_minor, 0) AS vat_minor,
       coalesce(f.incl_vat_minor, 0) AS incl_vat_minor, coalesce(p.captured_minor, 0) AS collected_minor
FROM session_facts f LEFT JOIN payments p ON p.session_id = f.session_id
WHERE f.outcome = 'completed';

-- Adds (sign 1) or takes back (sign −1) one session's contribution in a given state.
CREATE TABLE payment_daily_moves (
    day TEXT, currency TEXT, state TEXT, sign INTEGER, excl_vat_minor INTEGER, vat_minor INTEGER,
    incl_vat_minor INTEGER, collected_minor INTEGER
);
-- The moves table is a funnel, never holds rows: each insert is applied and removed.
CREATE TRIGGER payment_daily_apply AFTER INSERT ON payment_daily_moves
BEGIN
    INSERT INTO payment_daily (day, currency, state, sessions, excl_vat_minor, vat_minor, incl_vat_minor, collected_minor)
    VALUES (NEW.day, NEW.currency, NEW.state, NEW.sign, NEW.sign * NEW.excl_vat_minor, NEW.sign * NEW.vat_minor,
            NEW.sign * NEW.incl_vat_minor, NEW.sign * NEW.collected_minor)
    ON CONFLICT (day, currency, state) DO UPDATE SET
        sessions = sessions + excluded.sessions,
        excl_vat_minor = excl_vat_minor + excluded.excl_vat_minor,
        vat_minor = vat_minor + excluded.vat_minor,
        incl_vat_minor = incl_vat_minor + excluded.incl_vat_minor,
        collected_minor = collected_minor + excluded.collected_minor;
    DELETE FROM payment_daily WHERE day = NEW.day AND currency = NEW.currency AND state = NEW.state AND sessions = 0;
    DELETE FROM payment_daily_moves;
END;

CREATE TRIGGER payment_daily_fact_added AFTER INSERT ON session_facts WHEN NEW.outcome = 'completed'
BEGIN
    INSERT INTO payment_daily_moves
    SELECT day, currency, state, 1, excl_vat_minor, vat_minor, incl_vat_minor, collected_minor
    FROM payment_contributions WHERE session_id = NEW.session_id;
END;

CREATE TRIGGER payment_daily_fact_removed AFTER DELETE ON session_facts WHEN OLD.outcome = 'completed'
BEGIN
    INSERT INTO payment_daily_moves
    SELECT OLD.day, OLD.currency,
           CASE WHEN p.status IS NULL THEN 'unpaid' WHEN p.status = 'captured' THEN 'captured' WHEN p.status = 'failed' THEN 'failed'
                WHEN p.status IN ('released', 'voided') THEN 'released' ELSE 'pending' END,
           -1, coalesce(OLD.excl_vat_minor, 0), coalesce(OLD.vat_minor, 0), coalesce(OLD.incl_vat_minor, 0), coalesce(p.captured_minor, 0)
    FROM (SELECT 1) LEFT JOIN payments p ON p.session_id = OLD.session_id;
END;

-- A payment appears, changes state or amount, or goes: its completed session moves between states.
CREATE TRIGGER payment_daily_payment_added AFTER INSERT ON payments
BEGIN
    INSERT INTO payment_daily_moves
    SELECT day, currency, 'unpaid', -1, excl_vat_minor, vat_minor, incl_vat_minor, 0
    FROM session_facts WHERE session_id = NEW.session_id AND outcome = 'completed';
    INSERT INTO payment_daily_moves
    SELECT day, currency, state, 1, excl_vat_minor, vat_minor, incl_vat_minor, collected_minor
    FROM payment_contributions WHERE session_id = NEW.session_id;
END;

CREATE TRIGGER payment_daily_payment_changed AFTER UPDATE OF status, captured_minor ON payments
WHEN NEW.status IS NOT OLD.status OR NEW.captured_minor IS NOT OLD.captured_minor
BEGIN
    INSERT INTO payment_daily_moves
    SELECT day, currency,
           CASE WHEN OLD.status = 'captured' THEN 'captured' WHEN OLD.status = 'failed' THEN 'failed'
                WHEN OLD.status IN ('released', 'voided') THEN 'released' ELSE 'pending' END,
           -1, excl_vat_minor, vat_minor, incl_vat_minor, OLD.captured_minor
    FROM session_facts WHERE session_id = OLD.session_id AND outcome = 'completed';
    INSERT INTO payment_daily_moves
    SELECT day, currency, state, 1, excl_vat_minor, vat_minor, incl_vat_minor, collected_minor
    FROM payment_contributions WHERE session_id = NEW.session_id;
END;

CREATE TRIGGER payment_daily_payment_removed AFTER DELETE ON payments
BEGIN
    INSERT INTO payment_daily_moves
    SELECT day, currency,
           CASE WHEN OLD.status = 'captured' THEN 'captured' WHEN OLD.status = 'failed' THEN 'failed'
                WHEN OLD.status IN ('released', 'voided') THEN 'released' ELSE 'pending' END,
           -1, excl_vat_minor, vat_minor, incl_vat_minor, OLD.captured_minor
    FROM session_facts WHERE session_id = OLD.session_id AND outcome = 'completed';
    INSERT INTO payment_daily_moves
    SELECT day, currency, 'unpaid', 1, excl_vat_minor, vat_minor, incl_vat_minor, 0
    FROM session_facts WHERE session_id = OLD.session_id AND outcome = 'completed';
END;

INSERT INTO payment_daily (day, currency, state, sessions, excl_vat_minor, vat_minor, incl_vat_minor, collected_minor)
SELECT day, currency, state, count(*), sum(excl_vat_minor), sum(vat_minor), sum(incl_vat_minor), sum(collected_minor)
FROM payment_contributions GROUP BY day, currency, state;
