-- A start asked for in the app is an authorization decision like a card shown at a charger:
-- the driver's sign-in authorized it, and the charger then started it or not. The reports
-- counted these starts from the sessions while the authorization log showed only tokens
-- presented at chargers, so the log was empty where the figures said there were attempts.
-- Now each app start is logged when it is decided — the charger started it (Accepted) or it
-- failed (Failed, with the session's failure reason) — in the same transaction as the
-- session's change, and the figures count app starts from the log like every other method.
CREATE TRIGGER app_start_decided AFTER UPDATE OF status ON sessions
WHEN NEW.auth_method = 'app' AND OLD.status = 'starting' AND NEW.status <> 'starting'
BEGIN
    INSERT INTO auth_attempts (at, method, id_tag, charger_id, result, reason)
    VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'app', NEW.id_tag, NEW.charger_id,
            CASE NEW.status WHEN 'failed' THEN 'Failed' ELSE 'Accepted' END,
            CASE NEW.status WHEN 'failed' THEN coalesce(NEW.failure_reason, 'no reason recorded') END);
END;

-- The app starts decided before this version, dated when they were asked for (the log's
-- insert trigger adds them to the daily counts).
INSERT INTO auth_attempts (at, method, id_tag, charger_id, result, reason)
SELECT created_at, 'app', id_tag, charger_id,
       CASE status WHEN 'failed' THEN 'Failed' ELSE 'Accepted' END,
       CASE status WHEN 'failed' THEN coalesce(failure_reason, 'no reason recorded') END
FROM sessions
WHERE auth_method = 'app' AND status <> 'starting'
ORDER BY created_at, id;
