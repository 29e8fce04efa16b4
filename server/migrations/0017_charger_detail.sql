-- What the charger page shows: the firmware a charger booted with (BootNotification's
-- firmwareVersion), and every command an operator sent, with who sent it and what came back
-- (payloads as logged: secrets such as a new AuthorizationKey redacted).
ALTER TABLE chargers ADD COLUMN firmware_version TEXT;

CREATE TABLE operator_commands (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    operator   TEXT NOT NULL,
    charger_id TEXT NOT NULL,
    action     TEXT NOT NULL,
    payload    TEXT NOT NULL,
    -- answered, offline, timeout, call_error or bad_response
    outcome    TEXT NOT NULL,
    -- The charger's answer (JSON) when it answered, else what went wrong.
    answer     TEXT
);
CREATE INDEX operator_commands_by_charger ON operator_commands (charger_id, id);
