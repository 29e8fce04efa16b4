//! End-to-end tests of the simulator against a small OCPP central system on real sockets
//! (`central.rs`). One test binary, so the helpers are compiled once.

mod central;
mod connecting;
mod protocol_errors;
mod signed;
mod transactions;

use std::time::Duration;

use chargekit_sim::{PowerCurve, SimConfig, SimEvent};
use serde_json::Value;
use tokio::sync::broadcast;

use central::Central;

/// A charge point for `central` that charges fast (1 Wh per ms) and samples every 100 ms, so
/// every sample shows a higher register.
fn quick_config(central: &Central, id: &str) -> SimConfig {
    let mut config = SimConfig::new(central.url.clone(), id);
    config.meter_interval = Duration::from_millis(100);
    config.car.curve = PowerCurve::constant(3_600_000);
    config.car.battery_wh = 1_000_000_000;
    config.car.initial_soc_percent = 0;
    config
}

/// The next event, failing the test if none comes in 10 s.
async fn next_event(events: &mut broadcast::Receiver<SimEvent>) -> SimEvent {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("no event in time")
        .expect("event stream ended")
}

/// Skips events until one matches.
async fn wait_event(events: &mut broadcast::Receiver<SimEvent>, wanted: impl Fn(&SimEvent) -> bool) -> SimEvent {
    loop {
        let event = next_event(events).await;
        if wanted(&event) {
            return event;
        }
    }
}

/// `(register Wh, power W)` of a MeterValues payload, checking measurands, units and context.
fn meter_sample(payload: &Value) -> (i64, i64) {
    let values = &payload["meterValue"][0]["sampledValue"];
    assert!(payload["meterValue"][0]["timestamp"].is_string(), "{payload}");
    let energy = &values[0];
    assert_eq!(energy["measurand"], "Energy.Active.Import.Register", "{payload}");
    assert_eq!(energy["unit"], "Wh", "{payload}");
    assert_eq!(energy["context"], "Sample.Periodic", "{payload}");
    let power = &values[1];
    assert_eq!(power["measurand"], "Power.Active.Import", "{payload}");
    assert_eq!(power["unit"], "W", "{payload}");
    let number = |v: &Value| v["value"].as_str().and_then(|s| s.parse::<i64>().ok()).expect("integer value string");
    (number(energy), number(power))
}
