-- The server's own alerts (issue #16 item 2): each rule's conditions, opened and resolved by the
-- alert engine (server/src/alerts/). At most one open alert per rule and subject, so a restart
-- finds what is open and neither fires it again nor forgets it.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    -- The rule's name, as in deploy/prometheus/chargekit-alerts.yml (ChargeKitChargerOffline, ...).
    rule        TEXT NOT NULL,
    -- What the alert is about within its rule: a charger, `charger/connector`, a session.
    subject     TEXT NOT NULL,
    charger_id  TEXT,
    session_id  TEXT,
    severity    TEXT NOT NULL,
    summary     TEXT NOT NULL,
    -- When the condition began (a charger offline since), and when the alert was opened.
    since       TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT
);
CREATE UNIQUE INDEX alerts_open_once ON alerts (rule, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_by_resolution ON alerts (resolved_at);

-- The webhook outbox: one row per alert event and configured webhook, written in the
-- transaction that opens or resolves the alert, delivered (and retried) by its own task.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    -- `alert.opened` or `alert.resolved`.
    event           TEXT NOT NULL,
    url             TEXT NOT NULL,
    -- The exact bytes posted (and signed) at every attempt.
    body            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    -- Set once the attempts are used up: the delivery is given up, kept for the record.
    abandoned_at    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX webhook_deliveries_by_alert ON webhook_deliveries (alert_id);
