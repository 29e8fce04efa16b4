-- The operator's session search pages through sessions newest first within a window of days,
-- by creation (created_at, id): without this index every page scanned the whole table.
CREATE INDEX sessions_by_creation ON sessions (created_at, id);
