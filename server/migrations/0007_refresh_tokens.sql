-- Rotating refresh tokens. Each sign-in starts a family; every refresh uses up one refresh
-- token and issues the next in the same family. A used one presented again means a copy is in
-- someone else's hands: the whole family — refresh and access tokens — is revoked.
CREATE TABLE refresh_tokens (
    token_sha256 TEXT PRIMARY KEY,
    driver_id    TEXT NOT NULL REFERENCES drivers(id),
    family_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT,
    revoked_at   TEXT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Access tokens belong to a family too, so revoking it signs the driver out at once.
ALTER TABLE auth_tokens ADD COLUMN family_id TEXT;
CREATE INDEX auth_tokens_by_family ON auth_tokens (family_id);
