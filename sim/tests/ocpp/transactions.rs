//! Remote start and stop, meter values, the car filling up, and what the charge point does when
//! the central system misbehaves.

use std::time::Duration;

use chargekit_sim::{PowerCurve, RemoteStartBehavior, SimEvent, StopReason, connect};
use serde_json::json;

use crate::central::{Central, FIRST_TRANSACTION_ID, Options, Session};
use crate::{meter_sample, quick_config, wait_event};

/// Remote start on `connector`; checks the sequence up to Charging and returns
/// `(transaction id, meterStart)`.
async fn start(session: &mut Session, connector: u64, id_tag: &str) -> (i64, i64) {
    let status = session.call_status("RemoteStartTransaction", json!({"connectorId": connector, "idTag": id_tag})).await;
    assert_eq!(status, "Accepted");
    assert_eq!(session.expect_status().await, (connector, "Preparing".to_owned()));
    let start = session.expect_call("StartTransaction").await;
    assert_eq!(start["connectorId"], connector);
    assert_eq!(start["idTag"], id_tag);
    assert!(start["timestamp"].is_string(), "{start}");
    assert_eq!(session.expect_status().await, (connector, "Charging".to_owned()));
    let meter_start = start["meterStart"].as_i64().expect("meterStart");
    (FIRST_TRANSACTION_ID, meter_start)
}

#[tokio::test]
async fn remote_start_meter_values_and_remote_stop() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-TX")).await.expect("connects");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;

    let (transaction_id, meter_start) = start(&mut session, 1, "TAG-1").await;
    assert_eq!(meter_start, 1_000_000, "meterStart is the initial register");

    let mut last = meter_start;
    for _ in 0..3 {
        let payload = session.expect_call("MeterValues").await;
        assert_eq!(payload["connectorId"], 1);
        assert_eq!(payload["transactionId"], transaction_id);
        let (register, power) = meter_sample(&payload);
        assert!(register > last, "register {register} after {last}");
        assert!(power > 0, "power {power}");
        last = register;
    }

    let status = session.call_status("RemoteStopTransaction", json!({"transactionId": transaction_id})).await;
    assert_eq!(status, "Accepted");
    let stop = session.wait_for_call("StopTransaction").await;
    assert_eq!(stop["transactionId"], transaction_id);
    assert_eq!(stop["reason"], "Remote");
    assert_eq!(stop["idTag"], "TAG-1");
    assert!(stop["timestamp"].is_string(), "{stop}");
    let meter_stop = stop["meterStop"].as_i64().expect("meterStop");
    assert!(meter_stop >= last && meter_stop >= meter_start, "meterStop {meter_stop}, last sample {last}");
    assert_eq!(session.expect_status().await, (1, "Finishing".to_owned()));
    assert_eq!(session.expect_status().await, (1, "Available".to_owned()));

    let records = charge_point.transactions();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!((record.transaction_id, record.connector_id, record.id_tag.as_str()), (transaction_id, 1, "TAG-1"));
    assert_eq!((record.meter_start_wh, record.meter_stop_wh), (meter_start, Some(meter_stop)));
    assert_eq!(record.stop_reason, Some(StopReason::Remote));
    assert!(record.stopped_at.is_some_and(|stopped| stopped >= record.started_at));
    assert_eq!(record.energy_wh(), Some(meter_stop - meter_start));
    assert_eq!(charge_point.meter_register_wh(1), Some(meter_stop));

    wait_event(&mut events, |e| matches!(e, SimEvent::TransactionStarted { transaction_id: id, meter_start_wh: 1_000_000, .. } if *id == transaction_id)).await;
    let sample = wait_event(&mut events, |e| matches!(e, SimEvent::MeterSample { .. })).await;
    assert!(matches!(sample, SimEvent::MeterSample { transaction_id: id, connector_id: 1, register_wh, .. } if id == transaction_id && register_wh > meter_start));
    let stopped = wait_event(&mut events, |e| matches!(e, SimEvent::TransactionStopped { .. })).await;
    assert_eq!(stopped, SimEvent::TransactionStopped { transaction_id, connector_id: 1, meter_stop_wh: meter_stop, reason: StopReason::Remote });

    // The register carries over to the next transaction; a stopped transaction is unknown.
    let status = session.call_status("RemoteStopTransaction", json!({"transactionId": transaction_id})).await;
    assert_eq!(status, "Rejected");
    let status = session.call_status("RemoteStartTransaction", json!({"idTag": "TAG-2"})).await;
    assert_eq!(status, "Accepted");
    session.expect_status().await;
    let start = session.expect_call("StartTransaction").await;
    assert_eq!(start["meterStart"], meter_stop);
}

#[tokio::test]
async fn rejects_remote_start_on_a_busy_or_unknown_connector() {
    let mut central = Central::start(Options::default()).await;
    let _charge_point = connect(quick_config(&central, "CP-BUSY")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    start(&mut session, 1, "TAG-1").await;

    for request in [json!({"connectorId": 1, "idTag": "TAG-2"}), json!({"idTag": "TAG-2"}), json!({"connectorId": 2, "idTag": "TAG-2"}), json!({"connectorId": 0, "idTag": "TAG-2"})] {
        assert_eq!(session.call_status("RemoteStartTransaction", request.clone()).await, "Rejected", "{request}");
    }
    assert_eq!(session.call_status("RemoteStopTransaction", json!({"transactionId": 4242})).await, "Rejected");
    // Nothing but meter values for the running transaction arrived meanwhile.
    while let Some(call) = session_backlog_call(&mut session).await {
        assert_eq!(call, "MeterValues");
    }
}

/// The action of the next frame if one is already waiting, without blocking for new ones.
async fn session_backlog_call(session: &mut Session) -> Option<String> {
    match tokio::time::timeout(Duration::from_millis(1), session.next()).await {
        Ok(crate::central::Received::Call { action, .. }) => Some(action),
        Ok(other) => panic!("unexpected {other:?}"),
        Err(_) => None,
    }
}

#[tokio::test]
async fn picks_the_first_free_connector() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-TWO");
    config.connectors = 2;
    let charge_point = connect(config).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(2).await;

    for connector in [1, 2] {
        assert_eq!(session.call_status("RemoteStartTransaction", json!({"idTag": "T"})).await, "Accepted");
        let start = session.wait_for_call("StartTransaction").await;
        assert_eq!(start["connectorId"], connector);
        // Charging is reported after the transaction is recorded.
        session.wait_for_status(connector, "Charging").await;
    }
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"idTag": "T"})).await, "Rejected");
    let connectors: Vec<u32> = charge_point.transactions().iter().map(|r| r.connector_id).collect();
    assert_eq!(connectors, [1, 2]);
}

#[tokio::test]
async fn reject_behaviour_answers_rejected() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-NO");
    config.remote_start = RemoteStartBehavior::Reject;
    let charge_point = connect(config).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"connectorId": 1, "idTag": "T"})).await, "Rejected");
    session.assert_quiet(Duration::from_millis(300)).await;
    assert!(charge_point.transactions().is_empty());
}

#[tokio::test]
async fn accept_but_never_start_does_nothing_after_accepting() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-LAZY");
    config.remote_start = RemoteStartBehavior::AcceptButNeverStart;
    let charge_point = connect(config).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"connectorId": 1, "idTag": "T"})).await, "Accepted");
    // The connector stays free, so it accepts again; no busy connector is ever claimed.
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"idTag": "T"})).await, "Accepted");
    session.assert_quiet(Duration::from_millis(300)).await;
    assert!(charge_point.transactions().is_empty());
}

#[tokio::test]
async fn stops_by_itself_when_the_car_is_full() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-FULL");
    // 20 Wh battery at 50 %: exactly 10 Wh fit; 360 kW fills it in about 0.1 s.
    config.car.battery_wh = 20;
    config.car.initial_soc_percent = 50;
    config.car.curve = PowerCurve::constant(360_000);
    config.meter_interval = Duration::from_millis(50);
    let charge_point = connect(config).await.expect("connects");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    let (transaction_id, meter_start) = start(&mut session, 1, "TAG-FULL").await;

    let stop = loop {
        match session.next().await {
            crate::central::Received::Call { action, payload } if action == "MeterValues" => {
                let (register, _) = meter_sample(&payload);
                assert!(register <= meter_start + 10, "register {register} beyond a full battery");
            }
            crate::central::Received::Call { action, payload } if action == "StopTransaction" => break payload,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(stop["transactionId"], transaction_id);
    assert_eq!(stop["reason"], "EVDisconnected");
    assert_eq!(stop["meterStop"].as_i64(), Some(meter_start + 10), "exactly the 10 Wh that fit");
    assert_eq!(session.expect_status().await, (1, "Finishing".to_owned()));
    assert_eq!(session.expect_status().await, (1, "Available".to_owned()));
    assert_eq!(charge_point.transactions()[0].stop_reason, Some(StopReason::EVDisconnected));
    let full = wait_event(&mut events, |e| matches!(e, SimEvent::MeterSample { soc_percent, .. } if *soc_percent >= 100.0)).await;
    assert!(matches!(full, SimEvent::MeterSample { register_wh, .. } if register_wh == meter_start + 10));
}

#[tokio::test]
async fn an_id_tag_the_server_does_not_accept_ends_the_transaction() {
    let mut central = Central::start(Options { id_tag_status: "Invalid", ..Options::default() }).await;
    let charge_point = connect(quick_config(&central, "CP-DEAUTH")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"idTag": "BAD"})).await, "Accepted");
    assert_eq!(session.expect_status().await, (1, "Preparing".to_owned()));
    let start = session.expect_call("StartTransaction").await;
    let stop = session.expect_call("StopTransaction").await;
    assert_eq!(stop["reason"], "DeAuthorized");
    assert_eq!(stop["meterStop"], start["meterStart"]);
    assert_eq!(session.expect_status().await, (1, "Finishing".to_owned()));
    assert_eq!(session.expect_status().await, (1, "Available".to_owned()));
    assert_eq!(charge_point.transactions()[0].stop_reason, Some(StopReason::DeAuthorized));
}

#[tokio::test]
async fn call_errors_and_timeouts_do_not_stop_the_charge_point() {
    let mut central = Central::start(Options {
        call_error_for: vec!["MeterValues"],
        never_answer: vec!["StatusNotification"],
        ..Options::default()
    })
    .await;
    let mut config = quick_config(&central, "CP-GRUMPY");
    config.call_timeout = Duration::from_millis(200);
    let charge_point = connect(config).await.expect("boots although statuses go unanswered");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    wait_event(&mut events, |e| *e == SimEvent::CallTimedOut { action: "StatusNotification".to_owned() }).await;

    let (transaction_id, _) = start(&mut session, 1, "TAG").await;
    // Every MeterValues gets a CALLERROR; the charge point keeps sampling anyway.
    session.expect_call("MeterValues").await;
    session.expect_call("MeterValues").await;
    let error = wait_event(&mut events, |e| matches!(e, SimEvent::CallError { .. })).await;
    assert_eq!(error, SimEvent::CallError { action: "MeterValues".to_owned(), code: "InternalError".to_owned() });

    assert_eq!(session.call_status("RemoteStopTransaction", json!({"transactionId": transaction_id})).await, "Accepted");
    let stop = session.wait_for_call("StopTransaction").await;
    assert_eq!(stop["transactionId"], transaction_id);
}
