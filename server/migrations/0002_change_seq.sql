-- A global change sequence: every insert or update of a session takes the next value, so a
-- client can ask for "what changed after N" (incremental history sync).
ALTER TABLE sessions ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET change_seq = rowid;
INSERT INTO counters (name, value) VALUES ('change_seq', (SELECT COALESCE(MAX(change_seq), 0) FROM sessions));
CREATE INDEX sessions_by_driver_change ON sessions (driver_id, change_seq);
