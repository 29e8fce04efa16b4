-- Signed receipts of finished sessions: the receipt's JSON exactly as signed, and the signature.
CREATE TABLE receipts (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id),
    payload    TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL,
    issued_at  TEXT NOT NULL
);

-- The receipt signing key when none is configured: generated at first start, kept here so
-- receipts stay verifiable across restarts. A production server configures its own key file.
CREATE TABLE signing_keys (
    key_id     TEXT PRIMARY KEY,
    pkcs8      BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- The public key of each charger's meter (Eichrecht), as the operator registered it: signed
-- meter values are verified with it.
ALTER TABLE chargers ADD COLUMN meter_public_key TEXT;
