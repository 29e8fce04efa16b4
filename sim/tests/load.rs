//! The load harness against a real in-process server: every charger boots, and the steady state
//! yields latency samples. No timing is asserted; speed is measured in `docs/benchmarks.md`.

use std::time::Duration;

use chargekit_server::{ChargerSeed, ServerConfig};
use chargekit_sim::load::{LoadConfig, evse_id, run_load};

const CHARGERS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_charger_boots_and_latencies_are_recorded() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut load = LoadConfig::new(String::new(), CHARGERS);
    load.meter_interval = Duration::from_secs(1);
    load.hold = Duration::from_secs(3);
    load.ramp_concurrency = 10;

    let server = chargekit_server::start(ServerConfig {
        bind: "127.0.0.1:0".parse().expect("address"),
        database: dir.path().join("load.db"),
        chargers: load.charge_point_ids().enumerate().map(|(i, id)| ChargerSeed::single(&id, &evse_id(i + 1))).collect(),
        // Heartbeats within the window too.
        heartbeat_interval_secs: 1,
        ..ServerConfig::default()
    })
    .await
    .expect("server starts");
    load.server_url = server.ocpp_url();

    let report = run_load(load).await.expect("valid load");
    server.shutdown().await;

    assert!(report.connect_failures.is_empty(), "{report}");
    assert_eq!(report.booted, CHARGERS as u64, "{report}");
    assert_eq!(report.held_at_end, CHARGERS as u64, "{report}");
    assert_eq!(report.unexpected_disconnects, 0, "{report}");
    // One BootNotification and one StatusNotification per charger.
    assert_eq!(report.setup.count, 2 * CHARGERS as u64, "{report}");
    for action in ["MeterValues", "Heartbeat"] {
        assert!(report.steady_by_action.get(action).is_some_and(|s| s.count > 0), "no {action} samples: {report}");
    }
    assert!(report.steady.p50 <= report.steady.p99 && report.steady.p99 <= report.steady.max, "{report}");
    assert_eq!(report.call_failure_count(), 0, "{report}");
}

#[tokio::test]
async fn chargers_the_server_does_not_know_are_reported_as_connect_failures() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = chargekit_server::start(ServerConfig {
        bind: "127.0.0.1:0".parse().expect("address"),
        database: dir.path().join("load.db"),
        chargers: Vec::new(),
        ..ServerConfig::default()
    })
    .await
    .expect("server starts");
    let mut load = LoadConfig::new(server.ocpp_url(), 3);
    load.hold = Duration::from_millis(100);

    let report = run_load(load).await.expect("valid load");
    server.shutdown().await;

    assert_eq!(report.booted, 0);
    assert_eq!(report.connect_failures.get("WebSocket upgrade refused with HTTP 401"), Some(&3), "{report}");
}
