-- Operator monitoring: revenue, charger performance and authentication (see server/src/reports/).
--
-- Reports must answer in well under a second over millions of sessions, so nothing here is
-- computed per report from the sessions' JSON: triggers keep one typed row per finished session
-- (`session_facts`) and daily sums per charger (`session_daily`, `session_failures_daily`,
-- `auth_daily`). Triggers, not application code, because every writer of `sessions` and
-- `auth_attempts` — present and future — then keeps them right, and because a session's row is
-- the receipt: the sums are derived from it, never written beside it. Days are UTC dates.
--
-- A trigger here must never make the write it follows fail (a charger's StopTransaction would
-- be refused): no NOT NULL on derived values, and every date falls back to the server's clock.

-- Where a charger stands, from the configuration (`site` of a charger seed).
ALTER TABLE chargers ADD COLUMN site TEXT;
-- The last Heartbeat from the charger (server clock).
ALTER TABLE chargers ADD COLUMN last_seen_at TEXT;

-- A charger connected but silent for more than twice its heartbeat interval: one row per silence,
-- written when the charger speaks again (beats themselves are not stored).
CREATE TABLE heartbeat_gaps (
    charger_id TEXT NOT NULL,
    since      TEXT NOT NULL,
    until      TEXT NOT NULL,
    seconds    INTEGER NOT NULL
);
CREATE INDEX heartbeat_gaps_by_time ON heartbeat_gaps (until);

-- The highest power a session reported, kept as it charges: `sessions.power_w` is the latest
-- value only (and 0 once stopped). Fed by the power the server derives for each update (also
-- from energy alone) and by every reported power sample (below).
CREATE TABLE session_peaks (
    session_id TEXT PRIMARY KEY,
    peak_w     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER session_peaks_on_insert AFTER INSERT ON sessions WHEN NEW.power_w > 0
BEGIN
    INSERT INTO session_peaks (session_id, peak_w) VALUES (NEW.id, NEW.power_w)
    ON CONFLICT (session_id) DO UPDATE SET peak_w = max(peak_w, excluded.peak_w);
END;

CREATE TRIGGER session_peaks_on_update AFTER UPDATE OF power_w ON sessions WHEN NEW.power_w > OLD.power_w
BEGIN
    INSERT INTO session_peaks (session_id, peak_w) VALUES (NEW.id, NEW.power_w)
    ON CONFLICT (session_id) DO UPDATE SET peak_w = max(peak_w, excluded.peak_w);
END;

-- The power each MeterValue reported (Power.Active.Import: the total if given, else the sum of
-- phases L1–L3; W or kW), as the server reads it (sessions.rs `sampled`): a charger may send
-- several samples in one message, or queue them while offline, and only the last reaches
-- `sessions.power_w`.
CREATE TRIGGER session_peaks_on_meter_value AFTER INSERT ON meter_values
BEGIN
    INSERT INTO session_peaks (session_id, peak_w)
    SELECT NEW.session_id, w FROM (
        SELECT coalesce(max(CASE WHEN phase IS NULL THEN watts END),
                        sum(CASE WHEN phase IN ('L1', 'L2', 'L3') THEN watts END)) AS w
        FROM (SELECT json_extract(value, '$.phase') AS phase,
                     CAST(round(CAST(json_extract(value, '$.value') AS REAL)
                         * CASE json_extract(value, '$.unit') WHEN 'kW' THEN 1000 WHEN 'W' THEN 1 END) AS INTEGER) AS watts
              FROM json_each(CASE WHEN json_valid(NEW.sampled_values) THEN NEW.sampled_values ELSE '[]' END)
              WHERE json_extract(value, '$.measurand') = 'Power.Active.Import'
                AND coalesce(json_extract(value, '$.format'), 'Raw') <> 'SignedData'))
    WHERE w > 0
    ON CONFLICT (session_id) DO UPDATE SET peak_w = max(peak_w, excluded.peak_w);
END;

-- What a finished session contributes to the reports, computed the way the receipt is
-- (server/src/sessions.rs `usage`): energy = stop (or last) reading − start reading, never
-- negative; charging time = stop − start on the charger's clock. Money comes from the final
-- `cost` JSON as the receipt shows it, in integer minor units. A completed session is dated by
-- its end (the receipt's date), a failed one by the driver's request (it fails within the start
-- window). Time to start only for app starts: `created_at` is then the server's clock when the
-- driver asked, and `started_at` the charger's StartTransaction.
CREATE VIEW session_fact_source AS
SELECT id AS session_id,
       status AS outcome,
       coalesce(CASE status WHEN 'completed' THEN date(stopped_at) END, date(created_at), substr(created_at, 1, 10)) AS day,
       charger_id,
       auth_method,
       coalesce(json_extract(cost, '$.currency'), '') AS currency,
       energy_wh,
       CASE status WHEN 'completed' THEN coalesce(json_extract(cost, '$.total_excl_vat_minor'), 0) ELSE 0 END AS excl_vat_minor,
       CASE status WHEN 'completed' THEN coalesce(json_extract(cost, '$.total_vat_minor'), 0) ELSE 0 END AS vat_minor,
       CASE status WHEN 'completed' THEN coalesce(json_extract(cost, '$.total_incl_vat_minor'), 0) ELSE 0 END AS incl_vat_minor,
       charging_seconds,
       CASE WHEN charging_seconds > 0 THEN energy_wh * 3600 / charging_seconds END AS avg_power_w,
       (SELECT peak_w FROM session_peaks p WHERE p.session_id = id) AS peak_power_w,
       CASE WHEN auth_method = 'app' AND status = 'completed' AND started_at IS NOT NULL
            THEN max(CAST(round((julianday(started_at) - julianday(created_at)) * 86400000.0) AS INTEGER), 0) END AS start_ms,
       CASE status WHEN 'failed' THEN coalesce(failure_reason, 'no reason recorded') END AS failure_reason
FROM (
    SELECT *,
           CASE WHEN status = 'completed' AND meter_start_wh IS NOT NULL AND coalesce(meter_stop_wh, meter_last_wh) IS NOT NULL
                THEN max(coalesce(meter_stop_wh, meter_last_wh) - meter_start_wh, 0) ELSE 0 END AS energy_wh,
           CASE WHEN status = 'completed' AND started_at IS NOT NULL AND stopped_at IS NOT NULL
                THEN coalesce(max(CAST(round((julianday(stopped_at) - julianday(started_at)) * 86400000.0) AS INTEGER), 0) / 1000, 0) ELSE 0 END AS charging_seconds
    FROM sessions
    WHERE status IN ('completed', 'failed')
);

CREATE TABLE session_facts (
    session_id     TEXT PRIMARY KEY,
    outcome        TEXT NOT NULL,
    day            TEXT NOT NULL,
    charger_id     TEXT NOT NULL,
    auth_method    TEXT,
    currency       TEXT NOT NULL,
    energy_wh      INTEGER,
    excl_vat_minor INTEGER,
    vat_minor      INTEGER,
    incl_vat_minor INTEGER,
    charging_seconds INTEGER,
    avg_power_w    INTEGER,
    peak_power_w   INTEGER,
    start_ms       INTEGER,
    failure_reason TEXT
);
CREATE INDEX session_facts_by_day ON session_facts (day, charger_id, currency, auth_method);

-- Daily sums per charger, currency and how the session was authorized. Time-to-start buckets are cumulative ("at most N s"), as
-- a Prometheus histogram wants them.
CREATE TABLE session_daily (
    day              TEXT NOT NULL,
    charger_id       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    auth_method      TEXT NOT NULL,
    completed        INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    energy_wh        INTEGER NOT NULL DEFAULT 0,
    excl_vat_minor   INTEGER NOT NULL DEFAULT 0,
    vat_minor        INTEGER NOT NULL DEFAULT 0,
    incl_vat_minor   INTEGER NOT NULL DEFAULT 0,
    charging_seconds INTEGER NOT NULL DEFAULT 0,
    timed_sessions   INTEGER NOT NULL DEFAULT 0,
    avg_power_w_sum  INTEGER NOT NULL DEFAULT 0,
    peak_sessions    INTEGER NOT NULL DEFAULT 0,
    peak_power_w_sum INTEGER NOT NULL DEFAULT 0,
    peak_power_w_max INTEGER,
    start_count      INTEGER NOT NULL DEFAULT 0,
    start_ms_sum     INTEGER NOT NULL DEFAULT 0,
    start_ms_max     INTEGER,
    start_le_5s      INTEGER NOT NULL DEFAULT 0,
    start_le_10s     INTEGER NOT NULL DEFAULT 0,
    start_le_30s     INTEGER NOT NULL DEFAULT 0,
    start_le_60s     INTEGER NOT NULL DEFAULT 0,
    start_le_120s    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, charger_id, currency, auth_method)
) WITHOUT ROWID;

CREATE TABLE session_failures_daily (
    day        TEXT NOT NULL,
    charger_id TEXT NOT NULL,
    reason     TEXT NOT NULL,
    sessions   INTEGER NOT NULL,
    PRIMARY KEY (day, charger_id, reason)
) WITHOUT ROWID;

CREATE TRIGGER session_facts_added AFTER INSERT ON session_facts
BEGIN
    INSERT INTO session_daily (day, charger_id, currency, auth_method, completed, failed, energy_wh, excl_vat_minor, vat_minor,
        incl_vat_minor, charging_seconds, timed_sessions, avg_power_w_sum, peak_sessions, peak_power_w_sum,
        peak_power_w_max, start_count, start_ms_sum, start_ms_max, start_le_5s, start_le_10s, start_le_30s,
        start_le_60s, start_le_120s)
    VALUES (NEW.day, NEW.charger_id, NEW.currency, coalesce(NEW.auth_method, ''), NEW.outcome = 'completed', NEW.outcome = 'failed',
        coalesce(NEW.energy_wh, 0), coalesce(NEW.excl_vat_minor, 0), coalesce(NEW.vat_minor, 0),
        coalesce(NEW.incl_vat_minor, 0), coalesce(NEW.charging_seconds, 0), NEW.avg_power_w IS NOT NULL,
        coalesce(NEW.avg_power_w, 0), NEW.peak_power_w IS NOT NULL, coalesce(NEW.peak_power_w, 0), NEW.peak_power_w,
        NEW.start_ms IS NOT NULL, coalesce(NEW.start_ms, 0), NEW.start_ms,
        coalesce(NEW.start_ms <= 5000, 0), coalesce(NEW.start_ms <= 10000, 0), coalesce(NEW.start_ms <= 30000, 0),
        coalesce(NEW.start_ms <= 60000, 0), coalesce(NEW.start_ms <= 120000, 0))
    ON CONFLICT (day, charger_id, currency, auth_method) DO UPDATE SET
        completed = completed + excluded.completed,
        failed = failed + excluded.failed,
        energy_wh = energy_wh + excluded.energy_wh,
        excl_vat_minor = excl_vat_minor + excluded.excl_vat_minor,
        vat_minor = vat_minor + excluded.vat_minor,
        incl_vat_minor = incl_vat_minor + excluded.incl_vat_minor,
        charging_seconds = charging_seconds + excluded.charging_seconds,
        timed_sessions = timed_sessions + excluded.timed_sessions,
        avg_power_w_sum = avg_power_w_sum + excluded.avg_power_w_sum,
        peak_sessions = peak_sessions + excluded.peak_sessions,
        peak_power_w_sum = peak_power_w_sum + excluded.peak_power_w_sum,
        peak_power_w_max = max(coalesce(peak_power_w_max, excluded.peak_power_w_max), coalesce(excluded.peak_power_w_max, peak_power_w_max)),
        start_count = start_count + excluded.start_count,
        start_ms_sum = start_ms_sum + excluded.start_ms_sum,
        start_ms_max = max(coalesce(start_ms_max, excluded.start_ms_max), coalesce(excluded.start_ms_max, start_ms_max)),
        start_le_5s = start_le_5s + excluded.start_le_5s,
        start_le_10s = start_le_10s + excluded.start_le_10s,
        start_le_30s = start_le_30s + excluded.start_le_30s,
        start_le_60s = start_le_60s + excluded.start_le_60s,
        start_le_120s = start_le_120s + excluded.start_le_120s;
    INSERT INTO session_failures_daily (day, charger_id, reason, sessions)
    SELECT NEW.day, NEW.charger_id, NEW.failure_reason, 1 WHERE NEW.outcome = 'failed'
    ON CONFLICT (day, charger_id, reason) DO UPDATE SET sessions = sessions + 1;
END;

-- A fact taken back (its session changed or went away): the sums lose it exactly; the maxima are
-- recomputed from the facts left that day (a maximum cannot be subtracted).
CREATE TRIGGER session_facts_removed AFTER DELETE ON session_facts
BEGIN
    UPDATE session_daily SET
        completed = completed - (OLD.outcome = 'completed'),
        failed = failed - (OLD.outcome = 'failed'),
        energy_wh = energy_wh - coalesce(OLD.energy_wh, 0),
        excl_vat_minor = excl_vat_minor - coalesce(OLD.excl_vat_minor, 0),
        vat_minor = vat_minor - coalesce(OLD.vat_minor, 0),
        incl_vat_minor = incl_vat_minor - coalesce(OLD.incl_vat_minor, 0),
        charging_seconds = charging_seconds - coalesce(OLD.charging_seconds, 0),
        timed_sessions = timed_sessions - (OLD.avg_power_w IS NOT NULL),
        avg_power_w_sum = avg_power_w_sum - coalesce(OLD.avg_power_w, 0),
        peak_sessions = peak_sessions - (OLD.peak_power_w IS NOT NULL),
        peak_power_w_sum = peak_power_w_sum - coalesce(OLD.peak_power_w, 0),
        peak_power_w_max = (SELECT max(peak_power_w) FROM session_facts f
                            WHERE f.day = OLD.day AND f.charger_id = OLD.charger_id AND f.currency = OLD.currency
                              AND coalesce(f.auth_method, '') = coalesce(OLD.auth_method, '')),
        start_count = start_count - (OLD.start_ms IS NOT NULL),
        start_ms_sum = start_ms_sum - coalesce(OLD.start_ms, 0),
        start_ms_max = (SELECT max(start_ms) FROM session_facts f
                        WHERE f.day = OLD.day AND f.charger_id = OLD.charger_id AND f.currency = OLD.currency
                              AND coalesce(f.auth_method, '') = coalesce(OLD.auth_method, '')),
        start_le_5s = start_le_5s - coalesce(OLD.start_ms <= 5000, 0),
        start_le_10s = start_le_10s - coalesce(OLD.start_ms <= 10000, 0),
        start_le_30s = start_le_30s - coalesce(OLD.start_ms <= 30000, 0),
        start_le_60s = start_le_60s - coalesce(OLD.start_ms <= 60000, 0),
        start_le_120s = start_le_120s - coalesce(OLD.start_ms <= 120000, 0)
    WHERE day = OLD.day AND charger_id = OLD.charger_id AND currency = OLD.currency AND auth_method = coalesce(OLD.auth_method, '');
    DELETE FROM session_daily WHERE day = OLD.day AND charger_id = OLD.charger_id AND currency = OLD.currency
        AND auth_method = coalesce(OLD.auth_method, '') AND completed = 0 AND failed = 0;
    UPDATE session_failures_daily SET sessions = sessions - 1
    WHERE OLD.outcome = 'failed' AND day = OLD.day AND charger_id = OLD.charger_id AND reason = OLD.failure_reason;
    DELETE FROM session_failures_daily WHERE day = OLD.day AND charger_id = OLD.charger_id AND sessions <= 0;
END;

-- Sessions → facts. Only final sessions have one; any change to a final session (a late
-- correction, a column another feature updates) replaces its fact, so the sums always equal
-- what the session rows say.
CREATE TRIGGER session_facts_on_insert AFTER INSERT ON sessions WHEN NEW.status IN ('completed', 'failed')
BEGIN
    INSERT INTO session_facts SELECT * FROM session_fact_source WHERE session_id = NEW.id;
END;

CREATE TRIGGER session_facts_on_update AFTER UPDATE ON sessions
WHEN NEW.status IN ('completed', 'failed') OR OLD.status IN ('completed', 'failed')
BEGIN
    DELETE FROM session_facts WHERE session_id = OLD.id;
    INSERT INTO session_facts SELECT * FROM session_fact_source WHERE session_id = NEW.id;
END;

CREATE TRIGGER session_facts_on_delete AFTER DELETE ON sessions
BEGIN
    DELETE FROM session_facts WHERE session_id = OLD.id;
    DELETE FROM session_peaks WHERE session_id = OLD.id;
END;

INSERT INTO session_facts SELECT * FROM session_fact_source;

-- Authorization attempts per day, charger, method, result and reason.
CREATE TABLE auth_daily (
    day        TEXT NOT NULL,
    charger_id TEXT NOT NULL,
    method     TEXT NOT NULL,
    result     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (day, charger_id, method, result, reason)
) WITHOUT ROWID;

CREATE TRIGGER auth_daily_on_insert AFTER INSERT ON auth_attempts
BEGIN
    INSERT INTO auth_daily (day, charger_id, method, result, reason, attempts)
    VALUES (coalesce(date(NEW.at), substr(NEW.at, 1, 10)), coalesce(NEW.charger_id, ''), NEW.method, NEW.result, coalesce(NEW.reason, ''), 1)
    ON CONFLICT (day, charger_id, method, result, reason) DO UPDATE SET attempts = attempts + 1;
END;

INSERT INTO auth_daily (day, charger_id, method, result, reason, attempts)
SELECT coalesce(date(at), substr(at, 1, 10)), coalesce(charger_id, ''), method, result, coalesce(reason, ''), count(*)
FROM auth_attempts GROUP BY 1, 2, 3, 4, 5;

-- Refused tokens by time, for the "unknown tokens" list (the refused are few; the index stays small).
CREATE INDEX auth_attempts_refused_by_time ON auth_attempts (at, id_tag) WHERE result <> 'Accepted';

-- One token charging at two chargers at once (a cloned card, or starts replayed from chargers
-- that were offline — the live ConcurrentTx check cannot see those). Checked when a session's
-- start becomes known, against the token's other sessions: one that started earlier and was
-- still running then, or one that started later while this one ran (a running session runs
-- until now); and again when it stops, as its end is known only then. A pair is kept once, the
-- earlier start first. Times compared as instants (julianday): chargers send their own offsets.
CREATE TABLE token_overlaps (
    first_session_id  TEXT NOT NULL,
    second_session_id TEXT NOT NULL,
    id_tag            TEXT NOT NULL,
    first_charger_id  TEXT NOT NULL,
    second_charger_id TEXT NOT NULL,
    -- When the second session started (the overlap's beginning), as the charger sent it.
    overlap_from      TEXT NOT NULL,
    day               TEXT NOT NULL,
    PRIMARY KEY (first_session_id, second_session_id)
) WITHOUT ROWID;
CREATE INDEX token_overlaps_by_day ON token_overlaps (day);

-- The pairs of a session whose start is known, as the triggers below insert them.
CREATE VIEW token_overlap_candidates AS
SELECT n.id AS subject_id,
       CASE WHEN julianday(o.started_at) <= julianday(n.started_at) THEN o.id ELSE n.id END AS first_session_id,
       CASE WHEN julianday(o.started_at) <= julianday(n.started_at) THEN n.id ELSE o.id END AS second_session_id,
       n.id_tag,
       CASE WHEN julianday(o.started_at) <= julianday(n.started_at) THEN o.charger_id ELSE n.charger_id END AS first_charger_id,
       CASE WHEN julianday(o.started_at) <= julianday(n.started_at) THEN n.charger_id ELSE o.charger_id END AS second_charger_id,
       CASE WHEN julianday(o.started_at) <= julianday(n.started_at) THEN n.started_at ELSE o.started_at END AS overlap_from
FROM sessions n JOIN sessions o ON o.id_tag = n.id_tag AND o.id <> n.id AND o.charger_id <> n.charger_id
WHERE n.started_at IS NOT NULL AND o.started_at IS NOT NULL AND (
    -- o started first and was still running when n started
    (julianday(o.started_at) <= julianday(n.started_at)
        AND ((o.stopped_at IS NULL AND o.status IN ('charging', 'stopping')) OR julianday(o.stopped_at) > julianday(n.started_at)))
    -- o started later, while n was running
    OR (julianday(o.started_at) > julianday(n.started_at)
        AND ((n.stopped_at IS NULL AND n.status IN ('charging', 'stopping')) OR julianday(o.started_at) < julianday(n.stopped_at))));

CREATE TRIGGER token_overlaps_on_insert AFTER INSERT ON sessions WHEN NEW.started_at IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO token_overlaps
    SELECT first_session_id, second_session_id, id_tag, first_charger_id, second_charger_id, overlap_from,
           coalesce(date(overlap_from), date('now'))
    FROM token_overlap_candidates WHERE subject_id = NEW.id;
END;

CREATE TRIGGER token_overlaps_on_start AFTER UPDATE OF started_at ON sessions
WHEN NEW.started_at IS NOT NULL AND OLD.started_at IS NULL
BEGIN
    INSERT OR IGNORE INTO token_overlaps
    SELECT first_session_id, second_session_id, id_tag, first_charger_id, second_charger_id, overlap_from,
           coalesce(date(overlap_from), date('now'))
    FROM token_overlap_candidates WHERE subject_id = NEW.id;
END;

CREATE TRIGGER token_overlaps_on_stop AFTER UPDATE OF stopped_at ON sessions
WHEN NEW.stopped_at IS NOT NULL AND OLD.stopped_at IS NULL AND NEW.started_at IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO token_overlaps
    SELECT first_session_id, second_session_id, id_tag, first_charger_id, second_charger_id, overlap_from,
           coalesce(date(overlap_from), date('now'))
    FROM token_overlap_candidates WHERE subject_id = NEW.id;
END;

-- Status history by connector and instant (chargers date events with their own offsets, so the
-- text does not sort by time), and the faults alone.
-- Covering (the instant's text and the status are in the index): the first report over a long
-- history reads every event once, without touching the table's rows.
CREATE INDEX connector_status_events_by_instant ON connector_status_events (charger_id, connector_id, julianday(at), at, status);
CREATE INDEX charger_connection_events_by_instant ON charger_connection_events (charger_id, julianday(at));
CREATE INDEX connector_faults_by_instant ON connector_status_events (julianday(at), charger_id, error_code)
    WHERE error_code IS NOT NULL AND error_code <> 'NoError';

-- Availability per charger and UTC day, computed from the status and connection history the first
-- time a report needs a day that is over, then reused. An event dated on a day changes that day
-- and every later one (the state carries on), so it drops them; a connector added or moved drops
-- the charger's days.
CREATE TABLE availability_daily (
    charger_id     TEXT NOT NULL,
    day            TEXT NOT NULL,
    connectors     INTEGER NOT NULL,
    available_ms   INTEGER NOT NULL,
    charging_ms    INTEGER NOT NULL,
    faulted_ms     INTEGER NOT NULL,
    unavailable_ms INTEGER NOT NULL,
    offline_ms     INTEGER NOT NULL,
    unknown_ms     INTEGER NOT NULL,
    PRIMARY KEY (charger_id, day)
) WITHOUT ROWID;

-- Bumped with every change that drops cached days: a report stores what it computed only if
-- its charger's generation did not move meanwhile (an event that arrived during the computation
-- would otherwise be lost in the cache).
CREATE TABLE availability_generations (
    charger_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER availability_daily_status_event AFTER INSERT ON connector_status_events
BEGIN
    INSERT INTO availability_generations (charger_id, generation) VALUES (NEW.charger_id, 1)
    ON CONFLICT (charger_id) DO UPDATE SET generation = generation + 1;
    DELETE FROM availability_daily WHERE charger_id = NEW.charger_id AND day >= coalesce(date(NEW.at), '');
END;

CREATE TRIGGER availability_daily_connection_event AFTER INSERT ON charger_connection_events
BEGIN
    INSERT INTO availability_generations (charger_id, generation) VALUES (NEW.charger_id, 1)
    ON CONFLICT (charger_id) DO UPDATE SET generation = generation + 1;
    DELETE FROM availability_daily WHERE charger_id = NEW.charger_id AND day >= coalesce(date(NEW.at), '');
END;

CREATE TRIGGER availability_daily_evse_added AFTER INSERT ON evses
BEGIN
    INSERT INTO availability_generations (charger_id, generation) VALUES (NEW.charger_id, 1)
    ON CONFLICT (charger_id) DO UPDATE SET generation = generation + 1;
    DELETE FROM availability_daily WHERE charger_id = NEW.charger_id;
END;

CREATE TRIGGER availability_daily_evse_moved AFTER UPDATE OF charger_id, connector_id ON evses
WHEN NEW.charger_id IS NOT OLD.charger_id OR NEW.connector_id IS NOT OLD.connector_id
BEGIN
    INSERT INTO availability_generations (charger_id, generation) VALUES (NEW.charger_id, 1)
    ON CONFLICT (charger_id) DO UPDATE SET generation = generation + 1;
    UPDATE availability_generations SET generation = generation + 1 WHERE charger_id = OLD.charger_id AND OLD.charger_id IS NOT NEW.charger_id;
    DELETE FROM availability_daily WHERE charger_id IN (OLD.charger_id, NEW.charger_id);
END;
