-- A session's average power is its energy over its charging time to the millisecond. It was
-- divided by whole seconds, so a short session's average came out above its peak (a minute at
-- 150 kW read 154.9 kW). The charging time is still reported in whole seconds; the facts and
-- the daily sums are rebuilt through the corrected view, as migration 0011 does.

DROP VIEW session_fact_source;
CREATE VIEW session_fact_source AS
SELECT id AS session_id,
       status AS outcome,
       coalesce(CASE status WHEN 'completed' THEN date(stopped_at) END, date(created_at), substr(created_at, 1, 10), '') AS day,
       charger_id,
       auth_method,
       coalesce(CASE WHEN json_valid(cost) THEN json_extract(cost, '$.currency') END, '') AS currency,
       energy_wh,
       CASE status WHEN 'completed' THEN min(max(CAST(coalesce(CASE WHEN json_valid(cost) THEN json_extract(cost, '$.total_excl_vat_minor') END, 0) AS INTEGER), 0), 1000000000000) ELSE 0 END AS excl_vat_minor,
       CASE status WHEN 'completed' THEN min(max(CAST(coalesce(CASE WHEN json_valid(cost) THEN json_extract(cost, '$.total_vat_minor') END, 0) AS INTEGER), 0), 1000000000000) ELSE 0 END AS vat_minor,
       CASE status WHEN 'completed' THEN min(max(CAST(coalesce(CASE WHEN json_valid(cost) THEN json_extract(cost, '$.total_incl_vat_minor') END, 0) AS INTEGER), 0), 1000000000000) ELSE 0 END AS incl_vat_minor,
       charging_seconds,
       CASE WHEN charging_ms > 0 THEN min(energy_wh * 3600000 / charging_ms, 1000000000) END AS avg_power_w,
       (SELECT min(max(CAST(peak_w AS INTEGER), 0), 1000000000) FROM session_peaks p WHERE p.session_id = id) AS peak_power_w,
       CASE WHEN auth_method = 'app' AND status = 'completed' AND started_at IS NOT NULL
            THEN min(max(CAST(round((julianday(started_at) - julianday(created_at)) * 86400000.0) AS INTEGER), 0), 315576000000) END AS start_ms,
       CASE status WHEN 'failed' THEN coalesce(failure_reason, 'no reason recorded') END AS failure_reason
FROM (
    SELECT *,
           CASE WHEN status = 'completed' AND meter_start_wh IS NOT NULL AND coalesce(meter_stop_wh, meter_last_wh) IS NOT NULL
                THEN min(max(CAST(coalesce(meter_stop_wh, meter_last_wh) - meter_start_wh AS INTEGER), 0), 1000000000) ELSE 0 END AS energy_wh,
           charging_ms / 1000 AS charging_seconds
    FROM (
        SELECT *,
               CASE WHEN status = 'completed' AND started_at IS NOT NULL AND stopped_at IS NOT NULL
                    THEN min(coalesce(max(CAST(round((julianday(stopped_at) - julianday(started_at)) * 86400000.0) AS INTEGER), 0), 0), 315576000000) ELSE 0 END AS charging_ms
        FROM sessions
    )
    WHERE status IN ('completed', 'failed')
);

DELETE FROM session_daily;
DELETE FROM session_failures_daily;
DELETE FROM session_facts;
DELETE FROM payment_daily;
INSERT INTO session_facts SELECT * FROM session_fact_source;
