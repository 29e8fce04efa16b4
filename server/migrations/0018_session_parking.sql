-- Of a session's time since its start, how much the bill counts as parked (the charger reported
-- 0 W): the session shows the same split as its bill. Sessions stored before read 0 until
-- their next change (a finished one is not priced again, so keeps 0: its bill is unchanged).
ALTER TABLE sessions ADD COLUMN parking_seconds INTEGER NOT NULL DEFAULT 0;
