-- Every OCPP frame a charger sent or was sent (issue #16 items 4 and 5), secrets redacted, kept
-- for `ocpp_log.retention_days`. Written by the group writer with the chargers' other writes
-- (no commit of its own per message), pruned in small chunks in the background.
CREATE TABLE ocpp_messages (
    id             INTEGER PRIMARY KEY,
    charger_id     TEXT NOT NULL,
    -- `in` (from the charger) or `out` (to it).
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    -- The OCPP-J message type: 2 CALL, 3 CALLRESULT, 4 CALLERROR.
    message_type   INTEGER NOT NULL CHECK (message_type IN (2, 3, 4)),
    message_id     TEXT NOT NULL,
    -- The CALL's action; for an answer, the action of the CALL it answers (when known).
    action         TEXT,
    -- The transaction the frame names (a StartTransaction's answer names the new one).
    transaction_id INTEGER,
    payload        TEXT NOT NULL,
    -- Server clock, unix milliseconds (pruned and paged by it).
    at_ms          INTEGER NOT NULL
);
CREATE INDEX ocpp_messages_by_charger ON ocpp_messages (charger_id, id);
CREATE INDEX ocpp_messages_by_transaction ON ocpp_messages (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX ocpp_messages_by_message ON ocpp_messages (charger_id, message_id);
CREATE INDEX ocpp_messages_by_time ON ocpp_messages (at_ms);
