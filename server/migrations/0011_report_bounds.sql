-- No single session may break a report (server/src/reports/bounds.rs names the bounds and says
-- why). Before this, one StopTransaction with meterStop = 9223372036854775807 made the daily
-- sums overflow into REAL (SQLite's `+` leaves i64 silently), and every report, `/metrics` and
-- `chargekit report` failed from then on. Now each session's contribution is clamped before it
-- is summed:
--   energy                      [0, 1000000000] Wh
--   excl. VAT, VAT, incl. VAT   [0, 1000000000000] minor units each
--   average and peak power      [0, 1000000000] W
--   charging time               [0, 315576000] s (10 years)
--   time to start               [0, 315576000000] ms
-- Arithmetic that may leave i64 is CAST back to INTEGER, which saturates (a REAL above i64 is
-- i64::MAX). A cost that is not valid JSON counts as no money rather than failing the write.

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
       CASE WHEN charging_seconds > 0 THEN min(energy_wh * 3600 / charging_seconds, 1000000000) END AS avg_power_w,
       (SELECT min(max(CAST(peak_w AS INTEGER), 0), 1000000000) FROM session_peaks p WHERE p.session_id = id) AS peak_power_w,
       CASE WHEN auth_method = 'app' AND status = 'completed' AND started_at IS NOT NULL
            THEN min(max(CAST(round((julianday(started_at) - julianday(created_at)) * 86400000.0) AS INTEGER), 0), 315576000000) END AS start_ms,
       CASE status WHEN 'failed' THEN coalesce(failure_reason, 'no reason recorded') END AS failure_reason
FROM (
    SELECT *,
           CASE WHEN status = 'completed' AND meter_start_wh IS NOT NULL AND coalesce(meter_stop_wh, meter_last_wh) IS NOT NULL
                THEN min(max(CAST(coalesce(meter_stop_wh, meter_last_wh) - meter_start_wh AS INTEGER), 0), 1000000000) ELSE 0 END AS energy_wh,
           CASE WHEN status = 'completed' AND started_at IS NOT NULL AND stopped_at IS NOT NULL
                THEN min(coalesce(max(CAST(round((julianday(stopped_at) - julianday(started_at)) * 86400000.0) AS INTEGER), 0) / 1000, 0), 315576000) ELSE 0 END AS charging_seconds
    FROM sessions
    WHERE status IN ('completed', 'failed')
);

-- Each sample's power clamped before the phases are added: three phases of i64::MAX made sum()
-- fail, and with it the insert of the charger's MeterValues.
DROP TRIGGER session_peaks_on_meter_value;
CREATE TRIGGER session_peaks_on_meter_value AFTER INSERT ON meter_values
BEGIN
    INSERT INTO session_peaks (session_id, peak_w)
    SELECT NEW.session_id, min(w, 1000000000) FROM (
        SELECT coalesce(max(CASE WHEN phase IS NULL THEN watts END),
                        sum(CASE WHEN phase IN ('L1', 'L2', 'L3') THEN watts END)) AS w
        FROM (SELECT json_extract(value, '$.phase') AS phase,
                     min(max(CAST(round(CAST(json_extract(value, '$.value') AS REAL)
                         * CASE json_extract(value, '$.unit') WHEN 'kW' THEN 1000 WHEN 'W' THEN 1 END) AS INTEGER), 0), 1000000000) AS watts
              FROM json_each(CASE WHEN json_valid(NEW.sampled_values) THEN NEW.sampled_values ELSE '[]' END)
              WHERE json_extract(value, '$.measurand') = 'Power.Active.Import'
                AND coalesce(json_extract(value, '$.format'), 'Raw') <> 'SignedData'))
    WHERE w > 0
    ON CONFLICT (session_id) DO UPDATE SET peak_w = max(peak_w, excluded.peak_w);
END;

-- Repair: the facts and daily sums of every session again, through the bounded view (sums an
-- older version let overflow are REALs, which no subtraction brings back). The daily tables are
-- emptied first so that taking the old facts back has nothing to update; the facts' triggers
-- then add every session again, into session_daily, session_failures_daily and payment_daily.
DELETE FROM session_daily;
DELETE FROM session_failures_daily;
DELETE FROM session_facts;
DELETE FROM payment_daily;
INSERT INTO session_facts SELECT * FROM session_fact_source;
