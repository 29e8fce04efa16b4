-- Money you can trust: sessions held for operator review, one unfinished session per
-- connector enforced by the database, refused starts remembered, orphans resolvable.

-- Why a session is held for review (implausible readings): set once, never cleared by the
-- charger; the operator's decision ends it.
ALTER TABLE sessions ADD COLUMN review_reason TEXT;

-- Exactly one unfinished session per connector. Older databases may hold more than one
-- (two starts that raced before this index): the newest stays, the others fail.
UPDATE sessions SET status = 'failed', failure_reason = 'Another session took this connector at the same moment.'
WHERE status IN ('starting', 'charging', 'stopping')
  AND EXISTS (
      SELECT 1 FROM sessions newer
      WHERE newer.charger_id = sessions.charger_id AND newer.connector_id = sessions.connector_id
        AND newer.status IN ('starting', 'charging', 'stopping')
        AND (newer.created_at > sessions.created_at OR (newer.created_at = sessions.created_at AND newer.id > sessions.id)));
CREATE UNIQUE INDEX sessions_one_unfinished_per_connector ON sessions (charger_id, connector_id)
WHERE status IN ('starting', 'charging', 'stopping');

-- StartTransactions the server refused (blocked, expired, unknown, concurrent, an app tag
-- without a remote start): the charger still reports their StopTransaction, which is billed
-- only if the tag is valid by then.
CREATE TABLE refused_transactions (
    charger_id     TEXT NOT NULL,
    transaction_id INTEGER NOT NULL,
    connector_id   INTEGER NOT NULL,
    id_tag         TEXT NOT NULL,
    status         TEXT NOT NULL,
    meter_start_wh INTEGER NOT NULL,
    started_at     TEXT NOT NULL,
    refused_at     TEXT NOT NULL,
    PRIMARY KEY (charger_id, transaction_id)
);

-- Orphans get an id, a reason and the operator's resolution.
ALTER TABLE orphan_transactions ADD COLUMN reason TEXT;
ALTER TABLE orphan_transactions ADD COLUMN resolved_at TEXT;
ALTER TABLE orphan_transactions ADD COLUMN resolved_by TEXT;
ALTER TABLE orphan_transactions ADD COLUMN resolution TEXT;

-- Readings a charger sent that cannot be right (see plausibility.rs): kept as sent, for the
-- operator, never priced.
CREATE TABLE implausible_readings (
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    at             TEXT NOT NULL,
    sampled_values TEXT NOT NULL,
    reason         TEXT NOT NULL,
    received_at    TEXT NOT NULL
);
CREATE INDEX implausible_readings_by_session ON implausible_readings (session_id);

-- What an app start asked for (EVSE and payment choice), so a retry with the same
-- Idempotency-Key but another request is refused instead of answered with the first session.
ALTER TABLE sessions ADD COLUMN start_request TEXT;
