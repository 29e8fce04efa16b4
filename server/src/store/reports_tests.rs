//! The triggers of migration 0005 against independent arithmetic: whatever happens to sessions
//! (started, failed, completed, corrected, deleted, timestamps in any offset), the daily sums
//! equal what the session rows say, summed here in Rust from the rows and their cost JSON.

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::{OffsetDateTime, UtcOffset};

use super::super::Store;
use crate::reports::availability::{DAY_MS, State};
use crate::reports::bounds::{MAX_DURATION_SECONDS, MAX_POWER_W, MAX_SESSION_ENERGY_WH, MAX_SESSION_MONEY_MINOR};
use crate::reports::{GroupBy, Reports, Window};

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("reports.db")).await.unwrap();
    for sql in [
        "INSERT INTO drivers (id, email, password_hash, app_id_tag, created_at) VALUES ('d1', 'a@example.com', 'x', 'APPTAG1', '2026-01-01T00:00:00Z')",
        "INSERT INTO drivers (id, email, password_hash, app_id_tag, created_at) VALUES ('d2', 'b@example.com', 'x', 'APPTAG2', '2026-01-01T00:00:00Z')",
        "INSERT INTO tariffs (id, body) VALUES ('t', '{}')",
        "INSERT INTO chargers (id, site) VALUES ('A', 'Depot'), ('B', NULL)",
        "INSERT INTO evses (evse_id, charger_id, connector_id, tariff_id) VALUES ('EA', 'A', 1, 't'), ('EB', 'B', 1, 't')",
    ] {
        sqlx::query(sql).execute(&store.pool).await.unwrap();
    }
    (store, dir)
}

#[derive(Debug, Clone)]
enum Fate {
    /// Asked for in the app, refused by the charger.
    Fails(u8),
    /// Charged and completed; then perhaps its cost corrected, or the row deleted.
    Completes { energy_wh: i64, minutes: i64, excl: i64, vat: i64, eur: bool, peak_w: i64, start_ms: i64, corrected: bool, deleted: bool },
    /// What a hostile charger (or an older version's row) leaves: any meter readings, costs,
    /// power and charger clock at all, completed.
    Extreme { meter_start: i64, meter_stop: i64, excl: i64, vat: i64, incl: i64, power_w: i64, started: OffsetDateTime, stopped: OffsetDateTime },
}

/// The values that broke reports, and the edges of everything else.
fn extreme_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::MAX / 2),
        Just(-1),
        Just(0),
        -1_000_000i64..1_000_000,
        Just(crate::reports::bounds::MAX_SESSION_MONEY_MINOR + 1),
        any::<i64>(),
    ]
}

fn extreme_time() -> impl Strategy<Value = OffsetDateTime> {
    prop_oneof![
        Just(time::macros::datetime!(1970-01-01 00:00 UTC)),
        Just(time::macros::datetime!(2000-01-01 00:00 UTC)),
        Just(time::macros::datetime!(9999-12-31 23:59:59 UTC)),
        (0i64..(5 * 24 * 60)).prop_map(|m| time::macros::datetime!(2026-03-01 00:00 UTC) + time::Duration::minutes(m)),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    charger_b: bool,
    app: bool,
    /// Minutes after 2026-03-01T00:00Z the session was asked for.
    at_minutes: i64,
    /// The charger's UTC offset, in hours.
    offset_hours: i8,
    fate: Fate,
}

fn case() -> impl Strategy<Value = Case> {
    let fate = prop_oneof![
        (0u8..3).prop_map(Fate::Fails),
        (0i64..80_000, 0i64..600, 0i64..10_000, 0i64..2_000, any::<bool>(), 0i64..350_000, 0i64..200_000, any::<bool>(), prop::bool::weighted(0.1))
            .prop_map(|(energy_wh, minutes, excl, vat, eur, peak_w, start_ms, corrected, deleted)| Fate::Completes {
                energy_wh, minutes, excl, vat, eur, peak_w, start_ms, corrected, deleted
            }),
        ((extreme_i64(), extreme_i64()), (extreme_i64(), extreme_i64(), extreme_i64()), extreme_i64(), (extreme_time(), extreme_time()))
            .prop_map(|((meter_start, meter_stop), (excl, vat, incl), power_w, (started, stopped))| Fate::Extreme {
                meter_start, meter_stop, excl, vat, incl, power_w, started, stopped
            }),
    ];
    (any::<bool>(), any::<bool>(), 0i64..(5 * 24 * 60), -12i8..=14, fate)
        .prop_map(|(charger_b, app, at_minutes, offset_hours, fate)| Case { charger_b, app, at_minutes, offset_hours, fate })
}

fn cost(currency: &str, excl: i64, vat: i64) -> String {
    serde_json::json!({"currency": currency, "items": [], "total_excl_vat_minor": excl, "total_vat_minor": vat, "total_incl_vat_minor": excl + vat}).to_string()
}

/// Plays the cases through SQL the way the server writes sessions.
async fn play(store: &Store, cases: &[Case]) {
    let base = time::macros::datetime!(2026-03-01 00:00 UTC);
    for (i, c) in cases.iter().enumerate() {
        let id = format!("s{i}");
        let (charger, evse) = if c.charger_b { ("B", "EB") } else { ("A", "EA") };
        let method = if c.app { "app" } else { "rfid" };
        let offset = UtcOffset::from_hms(c.offset_hours, 0, 0).unwrap();
        let created = base + time::Duration::minutes(c.at_minutes);
        sqlx::query(
            "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method)
             VALUES (?, 'd1', ?, ?, 1, ?, 'starting', '{}', ?, ?, ?)",
        )
        .bind(&id)
        .bind(evse)
        .bind(charger)
        .bind(format!("TAG{}", i % 3))
        .bind(cost("EUR", 0, 0))
        .bind(created)
        .bind(method)
        .execute(&store.pool)
        .await
        .unwrap();
        match &c.fate {
            Fate::Fails(reason) => {
                sqlx::query("UPDATE sessions SET status = 'failed', failure_reason = ? WHERE id = ?")
                    .bind(format!("reason {reason}"))
                    .bind(&id)
                    .execute(&store.pool)
                    .await
                    .unwrap();
            }
            Fate::Completes { energy_wh, minutes, excl, vat, eur, peak_w, start_ms, corrected, deleted } => {
                let started = (created + time::Duration::milliseconds(*start_ms)).to_offset(offset);
                for (power, meter) in [(peak_w / 2, 1_000), (*peak_w, 1_000 + energy_wh / 2), (peak_w / 3, 1_000 + energy_wh / 2)] {
                    sqlx::query("UPDATE sessions SET status = 'charging', started_at = ?, meter_start_wh = 1000, meter_last_wh = ?, power_w = ? WHERE id = ?")
                        .bind(started)
                        .bind(meter)
                        .bind(power)
                        .bind(&id)
                        .execute(&store.pool)
                        .await
                        .unwrap();
                }
                let stopped = started + time::Duration::minutes(*minutes);
                let currency = if *eur { "EUR" } else { "CHF" };
                sqlx::query("UPDATE sessions SET status = 'completed', stopped_at = ?, meter_stop_wh = ?, power_w = 0, cost = ? WHERE id = ?")
                    .bind(stopped)
                    .bind(1_000 + energy_wh)
                    .bind(cost(currency, *excl, *vat))
                    .bind(&id)
                    .execute(&store.pool)
                    .await
                    .unwrap();
                if *corrected {
                    sqlx::query("UPDATE sessions SET cost = ? WHERE id = ?").bind(cost(currency, excl / 2, vat / 2)).bind(&id).execute(&store.pool).await.unwrap();
                }
                if *deleted {
                    sqlx::query("DELETE FROM sessions WHERE id = ?").bind(&id).execute(&store.pool).await.unwrap();
                }
            }
            Fate::Extreme { meter_start, meter_stop, excl, vat, incl, power_w, started, stopped } => {
                let cost = serde_json::json!({"currency": "EUR", "items": [], "total_excl_vat_minor": excl, "total_vat_minor": vat, "total_incl_vat_minor": incl});
                sqlx::query("UPDATE sessions SET status = 'charging', started_at = ?, meter_start_wh = ?, power_w = ? WHERE id = ?")
                    .bind(started)
                    .bind(meter_start)
                    .bind(power_w)
                    .bind(&id)
                    .execute(&store.pool)
                    .await
                    .unwrap();
                sqlx::query("UPDATE sessions SET status = 'completed', stopped_at = ?, meter_stop_wh = ?, power_w = 0, cost = ? WHERE id = ?")
                    .bind(stopped)
                    .bind(meter_stop)
                    .bind(cost.to_string())
                    .bind(&id)
                    .execute(&store.pool)
                    .await
                    .unwrap();
            }
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    completed: i64,
    failed: i64,
    energy_wh: i64,
    excl: i64,
    vat: i64,
    incl: i64,
    charging_seconds: i64,
    avg_power_w_sum: i64,
    peak_max: Option<i64>,
    start_count: i64,
    start_ms_sum: i64,
}

/// The sums computed from the session rows alone, in Rust.
async fn expected(store: &Store, cases: &[Case]) -> BTreeMap<(String, String, String, String), Sums> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(String, String, String, String, OffsetDateTime, Option<OffsetDateTime>, Option<OffsetDateTime>, Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT id, status, charger_id, auth_method, created_at, started_at, stopped_at, meter_start_wh, meter_stop_wh FROM sessions")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    // The highest power each session reported, from the cases played.
    let peaks: BTreeMap<String, i64> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c.fate {
            Fate::Completes { peak_w, .. } if peak_w > 0 => Some((format!("s{i}"), peak_w)),
            Fate::Extreme { power_w, .. } if power_w > 0 => Some((format!("s{i}"), power_w.min(MAX_POWER_W))),
            _ => None,
        })
        .collect();
    let mut out: BTreeMap<_, Sums> = BTreeMap::new();
    for (id, status, charger, method, created, started, stopped, start_wh, stop_wh) in rows {
        let (cost,): (String,) = sqlx::query_as("SELECT cost FROM sessions WHERE id = ?").bind(&id).fetch_one(&store.pool).await.unwrap();
        let cost: chargekit_model::Cost = serde_json::from_str(&cost).unwrap_or_else(|_| {
            // The test's costs have no items; read the totals by hand.
            let v: serde_json::Value = serde_json::from_str(&cost).unwrap();
            chargekit_model::Cost {
                currency: chargekit_model::Currency::new(v["currency"].as_str().unwrap()).unwrap(),
                items: vec![],
                total_excl_vat_minor: v["total_excl_vat_minor"].as_i64().unwrap(),
                total_vat_minor: v["total_vat_minor"].as_i64().unwrap(),
                total_incl_vat_minor: v["total_incl_vat_minor"].as_i64().unwrap(),
            }
        });
        let day_of = |t: OffsetDateTime| crate::reports::day_key(t.to_offset(UtcOffset::UTC).date());
        let (day, sums_key) = match status.as_str() {
            "completed" => (day_of(stopped.unwrap()), true),
            "failed" => (day_of(created), false),
            _ => continue,
        };
        let s = out.entry((day, charger, cost.currency.code().to_owned(), method.clone())).or_default();
        if sums_key {
            // Each session's figures clamped to the bounds (reports::bounds), computed here
            // without SQL: i128 so that no difference of readings overflows.
            let clamp = |n: i128, max: i64| n.clamp(0, i128::from(max)) as i64;
            let energy = clamp(i128::from(stop_wh.unwrap()) - i128::from(start_wh.unwrap()), MAX_SESSION_ENERGY_WH);
            let ms = clamp((stopped.unwrap() - started.unwrap()).whole_milliseconds(), MAX_DURATION_SECONDS * 1000);
            let seconds = ms / 1000;
            s.completed += 1;
            s.energy_wh += energy;
            s.excl += clamp(cost.total_excl_vat_minor.into(), MAX_SESSION_MONEY_MINOR);
            s.vat += clamp(cost.total_vat_minor.into(), MAX_SESSION_MONEY_MINOR);
            s.incl += clamp(cost.total_incl_vat_minor.into(), MAX_SESSION_MONEY_MINOR);
            s.charging_seconds += seconds;
            if ms > 0 {
                s.avg_power_w_sum += (energy * 3_600_000 / ms).min(MAX_POWER_W);
            }
            s.peak_max = s.peak_max.max(peaks.get(&id).copied());
            if method == "app" {
                s.start_count += 1;
                s.start_ms_sum += clamp((started.unwrap() - created).whole_milliseconds(), MAX_DURATION_SECONDS * 1000);
            }
        } else {
            s.failed += 1;
        }
    }
    out
}

async fn actual(store: &Store) -> BTreeMap<(String, String, String, String), Sums> {
    store
        .session_daily("", "~")
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let sums = Sums {
                completed: d.completed,
                failed: d.failed,
                energy_wh: d.energy_wh,
                excl: d.excl_vat_minor,
                vat: d.vat_minor,
                incl: d.incl_vat_minor,
                charging_seconds: d.charging_seconds,
                avg_power_w_sum: d.avg_power_w_sum,
                peak_max: d.peak_power_w_max,
                start_count: d.start_count,
                start_ms_sum: d.start_ms_sum,
            };
            ((d.day, d.charger_id, d.currency, d.auth_method), sums)
        })
        .collect()
}

/// Every report reads the history without failing, over the days played, the years 1970 and
/// 9999 and all time (the metrics' totals), and its totals are the clamped sums.
async fn every_report_equals(store: &Store, expected: &BTreeMap<(String, String, String, String), Sums>) {
    let reports = Reports::new(store.clone());
    let now = time::macros::datetime!(2026-03-10 12:00 UTC);
    for (from, to) in [("2026-02-20", "2026-03-10"), ("1970-01-01", "1970-12-31"), ("9999-01-01", "9999-12-31")] {
        let window = Window::parse(Some(from), Some(to), now.date()).unwrap();
        let revenue = reports.revenue(window, crate::reports::Period::Month, GroupBy::Site).await.unwrap();
        reports.performance_at(window, GroupBy::Charger, now).await.unwrap();
        reports.authentication(window).await.unwrap();
        reports.authorization_log(window, None, 100).await.unwrap();
        let in_window = |day: &str| day >= from && day <= to;
        for t in &revenue.totals {
            let sums = expected.iter().filter(|((day, _, currency, _), _)| in_window(day) && *currency == t.currency).map(|(_, s)| s);
            let (mut energy, mut incl) = (0, 0);
            for s in sums {
                energy += s.energy_wh;
                incl += s.incl;
            }
            assert_eq!((t.energy_wh, t.total_incl_vat_minor), (energy, incl), "{from} to {to}, {}", t.currency);
        }
        let states_incl: i64 = revenue.payment_states.iter().map(|p| p.total_incl_vat_minor).sum();
        assert_eq!(states_incl, revenue.totals.iter().map(|t| t.total_incl_vat_minor).sum::<i64>(), "payment states sum to the totals");
    }
    let totals = store.session_totals().await.unwrap();
    assert_eq!(totals.iter().map(|t| t.energy_wh).sum::<i64>(), expected.values().map(|s| s.energy_wh).sum::<i64>());
    assert_eq!(totals.iter().map(|t| t.excl_vat_minor).sum::<i64>(), expected.values().map(|s| s.excl).sum::<i64>());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn daily_sums_equal_the_sessions(cases in prop::collection::vec(case(), 1..25)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (store, _dir) = store().await;
            play(&store, &cases).await;
            let (expected, actual) = (expected(&store, &cases).await, actual(&store).await);
            assert_eq!(actual, expected, "cases: {cases:#?}");
            let failures: i64 = store.session_failures("", "~").await.unwrap().iter().map(|(_, _, n)| n).sum();
            assert_eq!(failures, expected.values().map(|s| s.failed).sum::<i64>());
            every_report_equals(&store, &expected).await;
            store.close().await;
        });
    }
}

#[tokio::test]
async fn one_token_at_two_chargers_at_once_is_recorded_once() {
    let (store, _dir) = store().await;
    let insert = "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method, started_at, stopped_at)
                  VALUES (?, 'd1', ?, ?, 1, 'CARD', ?, '{}', '{}', ?, 'rfid', ?, ?)";
    // At A 10:00–11:00 UTC (a +02:00 clock); a replay from B of a session running since 09:30
    // (the earlier one of the pair); at B again after A stopped: no overlap.
    for (id, evse, charger, status, start, stop) in [
        ("x1", "EA", "A", "completed", "2026-03-01T12:00:00+02:00", Some("2026-03-01T13:00:00+02:00")),
        ("x2", "EB", "B", "charging", "2026-03-01T09:30:00Z", None),
        ("x3", "EB", "B", "completed", "2026-03-01T11:30:00Z", Some("2026-03-01T11:40:00Z")),
    ] {
        sqlx::query(insert).bind(id).bind(evse).bind(charger).bind(status).bind(start).bind(start).bind(stop).execute(&store.pool).await.unwrap();
    }
    // A replayed session started before x1 at B (its other connector: one unfinished session
    // per connector), stopped during x1: found when it completes.
    let insert_on_connector_2 = "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method, started_at, stopped_at)
                  VALUES (?, 'd1', ?, ?, 2, 'CARD', ?, '{}', '{}', ?, 'rfid', ?, ?)";
    sqlx::query(insert_on_connector_2).bind("x0").bind("EB").bind("B").bind("charging").bind("2026-03-01T07:00:00Z").bind("2026-03-01T07:00:00Z").bind(None::<&str>).execute(&store.pool).await.unwrap();
    sqlx::query("UPDATE sessions SET status = 'completed', stopped_at = '2026-03-01T10:10:00Z' WHERE id = 'x0'").execute(&store.pool).await.unwrap();
    let overlaps = store.token_overlaps("", "~", 10).await.unwrap();
    let mut pairs: Vec<_> = overlaps.iter().map(|o| (o.first_session_id.as_str(), o.second_session_id.as_str())).collect();
    pairs.sort();
    assert_eq!(pairs, [("x0", "x1"), ("x2", "x1")]);
    store.close().await;
}

#[tokio::test]
async fn availability_is_cached_per_day_and_late_events_drop_the_cache() {
    let (store, _dir) = store().await;
    let reports = Reports::new(store.clone());
    let status = "INSERT INTO connector_status_events (charger_id, connector_id, status, error_code, at) VALUES ('A', 1, ?, 'NoError', ?)";
    sqlx::query("INSERT INTO charger_connection_events (charger_id, event, at) VALUES ('A', 'connected', '2026-03-01T00:00:00Z')")
        .execute(&store.pool)
        .await
        .unwrap();
    for (s, at) in [("Available", "2026-03-01T00:00:00Z"), ("Charging", "2026-03-01T06:00:00Z"), ("Available", "2026-03-01T12:00:00Z")] {
        sqlx::query(status).bind(s).bind(at).execute(&store.pool).await.unwrap();
    }
    let now = time::macros::datetime!(2026-03-04 12:00 UTC);
    let window = Window::parse(Some("2026-03-01"), Some("2026-03-04"), now.date()).unwrap();
    let a = |r: &crate::reports::PerformanceReport| r.rows.iter().find(|r| r.charger_id.as_deref() == Some("A")).unwrap().availability.clone();

    let first = a(&reports.performance_at(window, GroupBy::Charger, now).await.unwrap());
    assert_eq!(first.observed_ms, 3 * DAY_MS + DAY_MS / 2, "three days and half of today");
    assert_eq!(first.charging_ms, DAY_MS / 4);
    let cached = store.cached_availability("A", "2026-03-01", "2026-03-05").await.unwrap();
    assert_eq!(cached.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(), ["2026-03-01", "2026-03-02", "2026-03-03"], "days that are over");
    assert_eq!(a(&reports.performance_at(window, GroupBy::Charger, now).await.unwrap()), first, "the cache gives the same");

    // A charger replays a fault of its evening of the 2nd: the days from then on are recomputed.
    sqlx::query(status).bind("Faulted").bind("2026-03-02T18:00:00-06:00").execute(&store.pool).await.unwrap();
    let cached = store.cached_availability("A", "2026-03-01", "2026-03-05").await.unwrap();
    // 18:00 at −06:00 is midnight UTC of the 3rd: the 3rd on are dropped, the 2nd stays.
    assert_eq!(cached.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(), ["2026-03-01", "2026-03-02"]);
    let after = a(&reports.performance_at(window, GroupBy::Charger, now).await.unwrap());
    // Faulted from 2026-03-03T00:00Z on: the whole 3rd and half of the 4th.
    assert_eq!(after.faulted_ms, DAY_MS + DAY_MS / 2);
    assert_eq!(after.observed_ms, first.observed_ms);
    assert_eq!(chargekit_model::ConnectorStatus::parse("SuspendedEV").availability(true), State::Charging);
    store.close().await;
}

/// The cache warmer reads a charger's generation, then writes its days: in a deferred
/// transaction, a charger's connection event committed in between made SQLite answer "database
/// is locked" at once (a read snapshot cannot become a writer), whatever the busy timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caching_availability_waits_for_writers_instead_of_failing() {
    use super::super::reports::ComputedDays;
    use crate::reports::availability::Breakdown;
    let (store, _dir) = store().await;
    let writer = store.clone();
    let writes = tokio::spawn(async move {
        for n in 0..400 {
            writer.record_connection(if n % 2 == 0 { "A" } else { "B" }, n % 4 < 2).await.expect("a connection event is recorded");
        }
    });
    let mut failures = Vec::new();
    while !writes.is_finished() {
        let (generation,): (i64,) = sqlx::query_as("SELECT COALESCE((SELECT generation FROM availability_generations WHERE charger_id = 'A'), 0)")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let computed = ComputedDays { charger_id: "A".into(), generation, connectors: 1, days: vec![("2026-01-01".into(), Breakdown::default())] };
        if let Err(e) = store.cache_availability(&[computed]).await {
            failures.push(e.to_string());
        }
    }
    writes.await.unwrap();
    assert!(failures.is_empty(), "{} cache writes failed, e.g. {:?}", failures.len(), failures.first());
}

/// The average power divides the energy by the charging time to the millisecond: by whole
/// seconds, a short session's average came out above its peak (154.9 vs 150.0 kW on the board).
#[tokio::test]
async fn average_power_uses_the_charging_time_to_the_millisecond() {
    let (store, _dir) = store().await;
    // 2.5 kWh in 59.9 s: 150.25 kW; by whole seconds (59 s) it read 152.54 kW.
    sqlx::query(
        "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method,
                               started_at, stopped_at, meter_start_wh, meter_stop_wh)
         VALUES ('p1', 'd1', 'EA', 'A', 1, 'CARD', 'completed', '{}', ?, '2026-03-01T10:00:00Z', 'rfid',
                 '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:59.900Z', 1000, 3500)",
    )
    .bind(cost("EUR", 100, 19))
    .execute(&store.pool)
    .await
    .unwrap();
    let window = Window::parse(Some("2026-03-01"), Some("2026-03-01"), time::macros::date!(2026 - 03 - 02)).unwrap();
    let report = Reports::new(store.clone()).performance_at(window, GroupBy::Charger, time::macros::datetime!(2026-03-02 00:00 UTC)).await.unwrap();
    let a = report.rows.iter().find(|r| r.charger_id.as_deref() == Some("A")).expect("charger A");
    assert_eq!(a.charging_seconds, 59, "the charging time is still shown in whole seconds");
    assert_eq!(a.avg_session_power_w, Some(2_500 * 3_600_000 / 59_900));
    store.close().await;
}

/// A start asked for in the app is an authorization decision too: the log shows it, accepted
/// when the charger started it, refused with the reason when it failed, once each.
#[tokio::test]
async fn app_starts_are_in_the_authorization_log() {
    let (store, _dir) = store().await;
    let insert = "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method)
                  VALUES (?, 'd1', ?, ?, 1, 'APPTAG1', 'starting', '{}', '{}', '2026-03-01T10:00:00Z', 'app')";
    sqlx::query(insert).bind("a1").bind("EA").bind("A").execute(&store.pool).await.unwrap();
    sqlx::query(insert).bind("a2").bind("EB").bind("B").execute(&store.pool).await.unwrap();
    let started = "UPDATE sessions SET status = 'charging', started_at = '2026-03-01T10:00:05Z' WHERE id = 'a1'";
    sqlx::query(started).execute(&store.pool).await.unwrap();
    sqlx::query("UPDATE sessions SET status = 'completed', stopped_at = '2026-03-01T11:00:00Z' WHERE id = 'a1'").execute(&store.pool).await.unwrap();
    sqlx::query("UPDATE sessions SET status = 'failed', failure_reason = 'The charger refused to start.' WHERE id = 'a2'").execute(&store.pool).await.unwrap();

    let today = OffsetDateTime::now_utc().date();
    let window = Window::parse(Some("2026-03-01"), Some("2026-03-31"), today).unwrap();
    let today = Window::parse(None, None, today).unwrap();
    let reports = Reports::new(store.clone());
    let log = reports.authorization_log(today, None, 100).await.unwrap();
    let mut entries: Vec<_> = log.entries.iter().map(|e| (e.method.as_str(), e.charger_id.as_deref(), e.result.as_str(), e.reason.as_deref())).collect();
    entries.sort();
    assert_eq!(entries, [("app", Some("A"), "Accepted", None), ("app", Some("B"), "Failed", Some("The charger refused to start."))]);
    // The figures count each app start once, from the same log.
    let figures = reports.authentication(today).await.unwrap();
    let app = figures.by_method.iter().find(|m| m.method == "app").unwrap();
    assert_eq!((app.attempts, app.accepted, app.refused), (2, 1, 1));
    let march = reports.authentication(window).await.unwrap();
    assert_eq!(march.by_method.iter().find(|m| m.method == "app").unwrap().attempts, 0, "decided today, counted today");
    store.close().await;
}

/// The figures the alert rules watch: held sessions, captures being retried, failed payments.
#[tokio::test]
async fn attention_counts_what_an_operator_must_look_at() {
    let (store, _dir) = store().await;
    assert_eq!(store.attention_counts().await.unwrap(), super::AttentionCounts::default());
    let session = "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, tariff, cost, created_at, auth_method)
                   VALUES (?, 'd1', 'EA', 'A', ?, 'APPTAG1', ?, '{}', '{}', '2026-03-01T10:00:00Z', 'app')";
    let payment = "INSERT INTO payments (session_id, driver_id, method, status, currency, held_minor, attempts, created_at, updated_at)
                   VALUES (?, 'd1', 'wallet', ?, 'EUR', 5000, ?, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z')";
    for (id, connector, status, payment_status, attempts) in [
        ("r1", 1, "under_review", None, 0),
        ("c1", 2, "completed", Some("held"), 2), // its capture failed twice, retried
        ("c2", 3, "completed", Some("held"), 0), // not tried yet
        ("c3", 4, "charging", Some("held"), 1),  // still charging: a hold, not a capture
        ("f1", 5, "completed", Some("failed"), 5),
        ("ok", 6, "completed", Some("captured"), 1),
    ] {
        sqlx::query(session).bind(id).bind(connector).bind(status).execute(&store.pool).await.unwrap();
        if let Some(p) = payment_status {
            sqlx::query(payment).bind(id).bind(p).bind(attempts).execute(&store.pool).await.unwrap();
        }
    }
    let counts = store.attention_counts().await.unwrap();
    assert_eq!(counts, super::AttentionCounts { held_for_review: 1, captures_retrying: 1, payments_failed: 1 });
    store.close().await;
}

/// Statuses are TEXT columns read as typed values: an OCPP name as itself, the `Unknown` a
/// connector starts with and any text this version does not know as unknown, kept as stored.
#[tokio::test]
async fn connector_statuses_read_typed_and_unknown_texts_stay_as_stored() {
    use chargekit_model::ocpp::messages::ChargePointStatus;
    use chargekit_model::{Availability, ConnectorStatus};
    let (store, _dir) = store().await;
    sqlx::query("UPDATE evses SET status = 'Resting' WHERE charger_id = 'B'").execute(&store.pool).await.unwrap();
    let read = store.connector_statuses().await.unwrap();
    assert_eq!(
        read.iter().map(|(c, _, s)| (c.as_str(), s.clone())).collect::<Vec<_>>(),
        [("A", ConnectorStatus::Unknown("Unknown".into())), ("B", ConnectorStatus::Unknown("Resting".into()))]
    );
    assert!(read.iter().all(|(.., s)| s.availability(true) == Availability::Unknown));

    store.record_status_notification("A", 1, ChargePointStatus::SuspendedEVSE, "NoError", OffsetDateTime::now_utc()).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT status FROM evses WHERE charger_id = 'A'").fetch_one(&store.pool).await.unwrap();
    assert_eq!(stored, "SuspendedEVSE", "the same text as ever: no data migration");
    let typed: ConnectorStatus = sqlx::query_scalar("SELECT status FROM evses WHERE charger_id = 'A'").fetch_one(&store.pool).await.unwrap();
    assert_eq!(typed, ConnectorStatus::Reported(ChargePointStatus::SuspendedEVSE));
    store.close().await;
}

/// The warmer fills a year of days for every charger (issue #17: millions of rows at 10,000
/// chargers). Written in one transaction, they held SQLite's write lock for seconds while the
/// chargers' MeterValues waited; they go in transactions of bounded size, written as the
/// warmer goes.
#[tokio::test]
async fn warming_a_year_writes_the_cache_in_bounded_transactions() {
    use super::super::reports::CACHE_ROWS_PER_TRANSACTION;
    let (store, _dir) = store().await;
    for i in 0..4 {
        sqlx::query("INSERT INTO chargers (id, site) VALUES (?, NULL)").bind(format!("W{i}")).execute(&store.pool).await.unwrap();
        sqlx::query("INSERT INTO evses (evse_id, charger_id, connector_id, tariff_id) VALUES (?, ?, 1, 't')")
            .bind(format!("EW{i}"))
            .bind(format!("W{i}"))
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO charger_connection_events (charger_id, event, at) VALUES (?, 'connected', '2025-06-01T00:00:00Z')")
            .bind(format!("W{i}"))
            .execute(&store.pool)
            .await
            .unwrap();
    }
    let now = time::macros::datetime!(2026-03-04 12:00 UTC);
    let window = Window { from: now.date() - time::Duration::days(400), to: now.date() - time::Duration::days(1) };
    let reports = Reports::new(store.clone());
    let before = store.write_stats().commits();
    reports.performance_at(window, GroupBy::Total, now).await.unwrap();
    let commits = store.write_stats().commits() - before;

    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM availability_daily").fetch_one(&store.pool).await.unwrap();
    assert_eq!(rows, 6 * 400, "every charger's 400 days are cached");
    let bound = i64::try_from(CACHE_ROWS_PER_TRANSACTION).unwrap();
    let fewest = u64::try_from((rows + bound - 1) / bound).unwrap();
    assert!(commits >= fewest, "{rows} days cached in {commits} transactions: more than {bound} a transaction");
    store.close().await;
}

/// A minute's beats go in as one statement: each charger gets its own last beat, exactly as an
/// `OffsetDateTime` reads back; a charger no longer configured is skipped.
#[tokio::test]
async fn the_minute_s_heartbeats_are_written_each_to_its_charger() {
    let (store, _dir) = store().await;
    let a = time::macros::datetime!(2026-03-01 10:00:00.123456 UTC);
    let b = time::macros::datetime!(2026-03-01 10:00:30 +01:00);
    let beats = std::collections::HashMap::from([("A".to_owned(), a), ("B".to_owned(), b), ("GONE".to_owned(), a)]);
    store.record_heartbeats(&beats).await.unwrap();
    let stored: Vec<(String, OffsetDateTime)> = sqlx::query_as("SELECT id, last_seen_at FROM chargers ORDER BY id").fetch_all(&store.pool).await.unwrap();
    assert_eq!(stored, [("A".to_owned(), a), ("B".to_owned(), b)]);
    store.close().await;
}
