//! Fills a SQLite file with a year of a busy network — by default 1,000,000 finished sessions at
//! 100 chargers on 10 sites, 1,000,000 authorization attempts, 2 status reports per session,
//! daily reconnections and some faults — then times the operator reports over it.
//!
//! ```sh
//! cargo run --release -p chargekit-server --example reports_bench -- chargekit-bench.db [sessions]
//! chargekit report --database chargekit-bench.db --from 2026-01-01   # the same figures in a terminal
//! ```
//!
//! The data is generated inside SQLite by `INSERT ... SELECT` over a counter (deterministic:
//! every value is arithmetic on the row number), in one transaction, with the server's schema
//! and triggers live, so the pre-aggregated tables are filled exactly as the server fills them.
//! The year ends today, so the default 30-day window is full.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use chargekit_server::reports::{GroupBy, Period, Reports, Window};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use time::OffsetDateTime;

const CHARGERS: i64 = 100;
const SITES: i64 = 10;
const DAYS: i64 = 365;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: reports_bench <database file> [sessions]")?);
    let sessions: i64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    if path.exists() {
        return Err(format!("{} exists; give a new file", path.display()).into());
    }
    // The server's schema and triggers.
    Reports::open_or_create(&path).await?.close().await;

    let options = SqliteConnectOptions::from_str("sqlite://")?.filename(&path).foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let start = now - DAYS * 86_400;
    let began = Instant::now();
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO tariffs (id, body) VALUES ('bench', '{}')").execute(&mut *tx).await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)
         INSERT INTO chargers (id, site) SELECT printf('BENCH-%04d', i), printf('Site %02d', i % ?1) FROM n",
    )
    .bind(SITES)
    .bind(CHARGERS)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO evses (evse_id, charger_id, connector_id, tariff_id) SELECT 'DE*BEN*E' || substr(id, 7) || '*1', id, 1, 'bench' FROM chargers")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 10000)
         INSERT INTO drivers (id, email, password_hash, app_id_tag, created_at)
         SELECT printf('driver-%05d', i), printf('driver%05d@example.com', i), 'x', printf('APP%05d', i), '2020-01-01T00:00:00Z' FROM n",
    )
    .execute(&mut *tx)
    .await?;
    // Every charger connected from the start of the year.
    sqlx::query("INSERT INTO charger_connection_events (charger_id, event, at) SELECT id, 'connected', strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch') FROM chargers")
        .bind(start)
        .execute(&mut *tx)
        .await?;
    // Peaks first (what the meter-value trigger keeps while a session charges: here 1.2 × its
    // average power), so the facts written when the sessions go in carry them.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO session_peaks (session_id, peak_w) SELECT printf('bench-%08d', i), (7000 + (i * 104729) % 143000) * 6 / 5 FROM n WHERE i % 20 <> 0",
    )
    .bind(sessions)
    .execute(&mut *tx)
    .await?;
    // Sessions: spread evenly over the year; 5 % failed app starts; the rest completed, 20 to 80
    // minutes at 7 to 150 kW, priced 0.39 EUR/kWh + 1.20 EUR/h + 19 % VAT (in integer cents).
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1),
         s AS (SELECT i, ?2 + i * (?3 / ?1) AS t0, 20 + (i * 7919) % 61 AS minutes, 7000 + (i * 104729) % 143000 AS power_w,
                      i % 100 < 40 AS app, i % 20 = 0 AS failed FROM n),
         e AS (SELECT *, power_w * minutes / 60 AS energy_wh, (power_w * minutes / 60) * 39 / 1000 + minutes * 2 AS excl FROM s)
         INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, transaction_id, tariff,
             meter_start_wh, meter_last_wh, meter_stop_wh, power_w, started_at, last_meter_at, stopped_at, cost,
             failure_reason, created_at, auth_method, change_seq)
         SELECT printf('bench-%08d', i), printf('driver-%05d', i % 10000), printf('DE*BEN*E%04d*1', i % ?4), printf('BENCH-%04d', i % ?4), 1,
             CASE WHEN app THEN printf('APP%05d', i % 10000) ELSE printf('CARD%06d', (i * 31) % 100000) END,
             CASE WHEN failed THEN 'failed' ELSE 'completed' END,
             CASE WHEN failed THEN NULL ELSE i + 1 END,
             '{}',
             CASE WHEN failed THEN NULL ELSE 1000 END, CASE WHEN failed THEN NULL ELSE 1000 + energy_wh END,
             CASE WHEN failed THEN NULL ELSE 1000 + energy_wh END, 0,
             CASE WHEN failed THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', t0 + 3 + i % 20, 'unixepoch') END,
             CASE WHEN failed THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', t0 + 3 + i % 20 + minutes * 60, 'unixepoch') END,
             CASE WHEN failed THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', t0 + 3 + i % 20 + minutes * 60, 'unixepoch') END,
             json_object('currency', 'EUR', 'items', json_array(),
                 'total_excl_vat_minor', CASE WHEN failed THEN 0 ELSE excl END,
                 'total_vat_minor', CASE WHEN failed THEN 0 ELSE excl * 19 / 100 END,
                 'total_incl_vat_minor', CASE WHEN failed THEN 0 ELSE excl + excl * 19 / 100 END),
             CASE WHEN failed THEN 'The charger refused to start.' END,
             strftime('%Y-%m-%dT%H:%M:%SZ', t0, 'unixepoch'),
             CASE WHEN app OR failed THEN 'app' ELSE 'rfid' END, i + 1
         FROM e",
    )
    .bind(sessions)
    .bind(start)
    .bind(DAYS * 86_400)
    .bind(CHARGERS)
    .execute(&mut *tx)
    .await?;
    // Two status reports per started session, and a fault every 500 sessions.
    sqlx::query(
        "INSERT INTO connector_status_events (charger_id, connector_id, status, error_code, at)
         SELECT charger_id, 1, 'Charging', 'NoError', started_at FROM sessions WHERE started_at IS NOT NULL
         UNION ALL SELECT charger_id, 1, 'Available', 'NoError', stopped_at FROM sessions WHERE stopped_at IS NOT NULL
         UNION ALL SELECT charger_id, 1, 'Faulted', CASE rowid % 3 WHEN 0 THEN 'GroundFailure' WHEN 1 THEN 'HighTemperature' ELSE 'PowerMeterFailure' END,
             strftime('%Y-%m-%dT%H:%M:%SZ', julianday(stopped_at) + 1.0 / 1440) FROM sessions WHERE rowid % 500 = 0 AND stopped_at IS NOT NULL
         UNION ALL SELECT charger_id, 1, 'Available', 'NoError',
             strftime('%Y-%m-%dT%H:%M:%SZ', julianday(stopped_at) + 30.0 / 1440) FROM sessions WHERE rowid % 500 = 0 AND stopped_at IS NOT NULL",
    )
    .execute(&mut *tx)
    .await?;
    // Each charger drops its connection for 10 minutes once a day, at its own hour.
    sqlx::query(
        "WITH RECURSIVE d(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM d WHERE k + 1 < ?1)
         INSERT INTO charger_connection_events (charger_id, event, at)
         SELECT c.id, e.event, strftime('%Y-%m-%dT%H:%M:%SZ', ?2 + d.k * 86400 + (c.rowid % 24) * 3600 + e.offset, 'unixepoch')
         FROM chargers c, d, (SELECT 'disconnected' AS event, 0 AS offset UNION ALL SELECT 'connected', 600) e
         ORDER BY 3",
    )
    .bind(DAYS)
    .bind(start)
    .execute(&mut *tx)
    .await?;
    // Authorization attempts at chargers: one per session, 95 % accepted, the rest refused for
    // each reason; unknown tokens from a pool of 2,000.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO auth_attempts (at, method, id_tag, charger_id, result, reason)
         SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?2 + i * (?3 / ?1) + 1, 'unixepoch'),
             CASE WHEN i % 10 = 0 THEN 'plug_and_charge' ELSE 'rfid' END,
             CASE WHEN i % 100 IN (95, 96, 97) THEN printf('UNKNOWN%04d', i % 2000) ELSE printf('CARD%06d', (i * 31) % 100000) END,
             printf('BENCH-%04d', i % ?4),
             CASE i % 100 WHEN 95 THEN 'Invalid' WHEN 96 THEN 'Invalid' WHEN 97 THEN 'Invalid' WHEN 98 THEN 'Blocked' WHEN 99 THEN 'ConcurrentTx' ELSE 'Accepted' END,
             CASE i % 100 WHEN 95 THEN 'unknown token' WHEN 96 THEN 'unknown token' WHEN 97 THEN 'unknown token'
                 WHEN 98 THEN 'blocked by its owner' WHEN 99 THEN 'already charging elsewhere' END
         FROM n",
    )
    .bind(sessions)
    .bind(start)
    .bind(DAYS * 86_400)
    .bind(CHARGERS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    println!("filled {} in {:.1} s", path.display(), began.elapsed().as_secs_f64());
    sqlx::query("ANALYZE").execute(&pool).await?;
    for (name, sql) in [
        ("sessions", "SELECT count(*) FROM sessions"),
        ("status reports", "SELECT count(*) FROM connector_status_events"),
        ("connection events", "SELECT count(*) FROM charger_connection_events"),
        ("authorization attempts", "SELECT count(*) FROM auth_attempts"),
        ("daily session rows", "SELECT count(*) FROM session_daily"),
    ] {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await?;
        println!("  {name}: {n}");
    }
    pool.close().await;
    let reports = Reports::open(&path).await?;
    let today = OffsetDateTime::now_utc().date();
    let month = Window::parse(None, None, today)?;
    let year = Window::parse(Some(&chargekit_server::reports::day_key(today - time::Duration::days(DAYS))), None, today)?;
    println!("\n| report | window | time |\n|---|---|---:|");
    for (label, window) in [("30 days", month), ("366 days", year)] {
        timed("revenue by charger, per day", label, reports.revenue(window, Period::Day, GroupBy::Charger)).await?;
        timed("revenue by site, per month", label, reports.revenue(window, Period::Month, GroupBy::Site)).await?;
        timed("performance by charger (first run: availability computed)", label, reports.performance(window, GroupBy::Charger)).await?;
        timed("performance by charger (again: days cached)", label, reports.performance(window, GroupBy::Charger)).await?;
        timed("performance by site", label, reports.performance(window, GroupBy::Site)).await?;
        timed("authentication", label, reports.authentication(window)).await?;
        timed("authorization log, newest 100", label, reports.authorization_log(window, None, 100)).await?;
    }
    reports.close().await;
    Ok(())
}

async fn timed<T, E: std::error::Error + 'static>(what: &str, window: &str, run: impl Future<Output = Result<T, E>>) -> Result<T, Box<dyn std::error::Error>> {
    let began = Instant::now();
    let out = run.await?;
    println!("| {what} | {window} | {:.0} ms |", began.elapsed().as_secs_f64() * 1000.0);
    Ok(out)
}
