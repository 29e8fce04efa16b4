-- ChargeKit reference backend schema. Timestamps are RFC 3339 text in UTC; money is integer
-- minor units; tariffs and costs as applied are kept as JSON so a receipt can be recomputed.

CREATE TABLE drivers (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- The OCPP idTag the backend uses when it starts a session for this driver from the app.
    app_id_tag    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

-- Opaque bearer tokens, stored as SHA-256 so a database leak does not leak sessions.
CREATE TABLE auth_tokens (
    token_sha256 TEXT PRIMARY KEY,
    driver_id    TEXT NOT NULL REFERENCES drivers(id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

CREATE TABLE tariffs (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE chargers (
    id           TEXT PRIMARY KEY,
    vendor       TEXT,
    model        TEXT,
    last_boot_at TEXT
);

CREATE TABLE evses (
    evse_id      TEXT PRIMARY KEY,
    charger_id   TEXT NOT NULL REFERENCES chargers(id),
    connector_id INTEGER NOT NULL,
    tariff_id    TEXT NOT NULL REFERENCES tariffs(id),
    status       TEXT NOT NULL DEFAULT 'Unknown',
    UNIQUE (charger_id, connector_id)
);

-- Drivers may type an EVSE ID without its optional `*` separators: look up by the compact form.
CREATE UNIQUE INDEX evses_by_compact_id ON evses (replace(evse_id, '*', ''));

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    driver_id        TEXT NOT NULL REFERENCES drivers(id),
    evse_id          TEXT NOT NULL REFERENCES evses(evse_id),
    charger_id       TEXT NOT NULL,
    connector_id     INTEGER NOT NULL,
    id_tag           TEXT NOT NULL,
    status           TEXT NOT NULL,
    transaction_id   INTEGER UNIQUE,
    idempotency_key  TEXT,
    tariff           TEXT NOT NULL,
    meter_start_wh   INTEGER,
    meter_last_wh    INTEGER,
    meter_stop_wh    INTEGER,
    power_w          INTEGER NOT NULL DEFAULT 0,
    started_at       TEXT,
    last_meter_at    TEXT,
    stopped_at       TEXT,
    cost             TEXT NOT NULL,
    failure_reason   TEXT,
    stop_reason      TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    UNIQUE (driver_id, idempotency_key)
);

CREATE INDEX sessions_by_driver ON sessions (driver_id, created_at DESC);
CREATE INDEX sessions_by_connector ON sessions (charger_id, connector_id, status);

-- OCPP transaction ids, handed out by one atomic UPDATE ... RETURNING.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('transaction_id', 0);
