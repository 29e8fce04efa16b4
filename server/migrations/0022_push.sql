-- Push: the devices a driver's sign-ins registered, the events already derived (each once), the
-- pushes waiting to be sent (a durable outbox: the charger's path never waits for a provider),
-- and how far the deriver has read the sessions' changes.

-- A device's push token, registered with one sign-in (`sign_in`: its family, or `token:<sha>`
-- for a token from before families) and gone with it. `purpose` 'live_activity' is an iOS
-- Live Activity's own push token, following one session.
CREATE TABLE push_tokens (
    id         INTEGER PRIMARY KEY,
    driver_id  TEXT NOT NULL REFERENCES drivers(id),
    sign_in    TEXT NOT NULL,
    provider   TEXT NOT NULL CHECK (provider IN ('fcm', 'apns')),
    purpose    TEXT NOT NULL CHECK (purpose IN ('alert', 'live_activity')),
    token      TEXT NOT NULL,
    session_id TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (provider, token),
    CHECK ((purpose = 'live_activity') = (session_id IS NOT NULL))
);
CREATE INDEX push_tokens_by_driver ON push_tokens (driver_id);
CREATE INDEX push_tokens_by_sign_in ON push_tokens (sign_in);

-- A sign-out (or a reused refresh token) revokes the family: its devices get nothing more.
CREATE TRIGGER push_tokens_end_with_their_sign_in AFTER UPDATE OF revoked_at ON refresh_tokens
WHEN NEW.revoked_at IS NOT NULL
BEGIN
    DELETE FROM push_tokens WHERE sign_in = NEW.family_id;
END;
-- A sign-in from before families is its access token alone.
CREATE TRIGGER push_tokens_end_with_their_token AFTER DELETE ON auth_tokens
WHEN OLD.family_id IS NULL
BEGIN
    DELETE FROM push_tokens WHERE sign_in = 'token:' || OLD.token_sha256;
END;

-- Every driver event the server derived, by its stable id: derived once, pushed once.
CREATE TABLE push_events (
    event_id   TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One push to one device. Deleted once the provider took it, gave up on, or with its token.
CREATE TABLE push_outbox (
    id              INTEGER PRIMARY KEY,
    token_id        INTEGER NOT NULL REFERENCES push_tokens(id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    message         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    UNIQUE (token_id, event_id)
);
CREATE INDEX push_outbox_by_due ON push_outbox (next_attempt_ms);

-- The last session change (`sessions.change_seq`) the deriver has read.
CREATE TABLE push_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    change_seq INTEGER NOT NULL
);

-- The deriver reads every driver's changes in order.
CREATE INDEX sessions_by_change_seq ON sessions (change_seq);
