-- Identification tokens a charger may present as its OCPP idTag: the app's own tag, a driver's
-- RFID cards (normalized UID) and Plug & Charge contracts (EMAID). Authorize, StartTransaction
-- and the Plug & Charge DataTransfer all answer from here.
CREATE TABLE id_tokens (
    -- OCPP idTags are case-insensitive (CiString20).
    id_tag     TEXT PRIMARY KEY COLLATE NOCASE,
    driver_id  TEXT NOT NULL REFERENCES drivers(id),
    kind       TEXT NOT NULL CHECK (kind IN ('app', 'rfid', 'contract')),
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    -- A contract certificate's notAfter, or a card's end of validity; NULL: no end.
    expires_at TEXT,
    label      TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX id_tokens_by_driver ON id_tokens (driver_id);
INSERT INTO id_tokens (id_tag, driver_id, kind, created_at) SELECT app_id_tag, id, 'app', created_at FROM drivers;

-- How a session was authorized: 'app' (remote start from the app), 'rfid', 'contract'.
ALTER TABLE sessions ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'app';
-- Charger-started sessions are looked up by this natural key when a charger retransmits a
-- StartTransaction with a new message id after a reconnect.
CREATE INDEX sessions_by_start ON sessions (charger_id, connector_id, started_at);
CREATE INDEX sessions_by_id_tag ON sessions (id_tag, status);
CREATE INDEX sessions_by_status ON sessions (status);

-- Every authorization attempt, accepted or not, for the operator.
CREATE TABLE auth_attempts (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    method     TEXT NOT NULL,
    id_tag     TEXT NOT NULL,
    charger_id TEXT,
    result     TEXT NOT NULL,
    reason     TEXT
);
CREATE INDEX auth_attempts_by_time ON auth_attempts (at);

-- Transaction messages a charger sent, by message id, with the answer given: a retransmission
-- (same id, same action, same payload) gets the same answer and is not applied twice. Message
-- ids are unique only within one connection (OCPP-J 4.1.3), so a new message that reuses an
-- id after a reboot has another payload and is handled as new.
CREATE TABLE ocpp_handled (
    charger_id     TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    action         TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    response       TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (charger_id, message_id)
);

-- Every MeterValue a charger reported for a session (periodic and transactionData), as sent:
-- signed meter data and the charging periods of a receipt are built from these.
CREATE TABLE meter_values (
    session_id     TEXT NOT NULL REFERENCES sessions(id),
    at             TEXT NOT NULL,
    sampled_values TEXT NOT NULL
);
CREATE INDEX meter_values_by_session ON meter_values (session_id, at);

-- Transactions no driver can be found for (an unknown card used while the charger was
-- offline): kept as reported, for the operator, rather than dropped.
CREATE TABLE orphan_transactions (
    charger_id     TEXT NOT NULL,
    transaction_id INTEGER NOT NULL,
    id_tag         TEXT,
    report         TEXT NOT NULL,
    received_at    TEXT NOT NULL
);

-- Charger history for the operator: connector status changes and connections.
CREATE TABLE connector_status_events (
    charger_id   TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    status       TEXT NOT NULL,
    error_code   TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX connector_status_events_by_charger ON connector_status_events (charger_id, at);

CREATE TABLE charger_connection_events (
    charger_id TEXT NOT NULL,
    event      TEXT NOT NULL CHECK (event IN ('connected', 'disconnected')),
    at         TEXT NOT NULL
);
CREATE INDEX charger_connection_events_by_charger ON charger_connection_events (charger_id, at);

-- OCPP security profile of each charger (0 none, 1 Basic auth, 2 TLS + Basic auth) and its
-- password as `hmac-sha256$<salt>$<tag>` (see server/src/ocpp/security.rs).
ALTER TABLE chargers ADD COLUMN security_profile INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chargers ADD COLUMN password_hash TEXT;
