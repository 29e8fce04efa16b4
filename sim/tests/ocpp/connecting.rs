//! Handshake, boot, connector statuses, heartbeats, and ending the connection.

use std::collections::BTreeSet;
use std::time::Duration;

use chargekit_model::ocpp::messages::RegistrationStatus;
use chargekit_sim::{SimConfig, SimError, SimEvent, connect, connect_many};

use crate::central::{Central, Options, Received};
use crate::{next_event, quick_config, wait_event};

#[tokio::test]
async fn boots_and_reports_every_connector_available() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-BOOT");
    config.connectors = 2;
    config.vendor = "Acme".to_owned();
    config.model = "Volt 9000".to_owned();
    let charge_point = connect(config).await.expect("connects");
    assert_eq!(charge_point.id(), "CP-BOOT");

    let mut session = central.accept().await;
    assert_eq!(session.path, "/ocpp/CP-BOOT");
    assert_eq!(session.authorization, None);
    let boot = session.expect_call("BootNotification").await;
    assert_eq!(boot["chargePointVendor"], "Acme");
    assert_eq!(boot["chargePointModel"], "Volt 9000");
    for connector in 0..=2 {
        assert_eq!(session.expect_status().await, (connector, "Available".to_owned()));
    }
    // The first subscriber sees the session from its start.
    let mut events = charge_point.subscribe();
    assert_eq!(next_event(&mut events).await, SimEvent::Connected);
    assert_eq!(charge_point.meter_register_wh(1), Some(1_000_000));
    assert_eq!(charge_point.meter_register_wh(3), None);
    assert!(charge_point.transactions().is_empty());
}

#[tokio::test]
async fn fails_when_the_server_selects_no_subprotocol() {
    let central = Central::start(Options { subprotocol: None, ..Options::default() }).await;
    let error = connect(quick_config(&central, "CP-1")).await.expect_err("must not connect");
    assert!(matches!(error, SimError::SubprotocolNotSelected { .. }), "{error:?}");
    assert!(error.to_string().contains("ocpp1.6"), "{error}");
}

#[tokio::test]
async fn fails_when_the_server_selects_another_subprotocol() {
    let central = Central::start(Options { subprotocol: Some("ocpp2.0.1"), ..Options::default() }).await;
    let error = connect(quick_config(&central, "CP-1")).await.expect_err("must not connect");
    assert!(matches!(error, SimError::SubprotocolNotSelected { .. }), "{error:?}");
}

#[tokio::test]
async fn fails_when_boot_is_not_accepted() {
    for (status, expected) in [("Rejected", RegistrationStatus::Rejected), ("Pending", RegistrationStatus::Pending)] {
        let mut central = Central::start(Options { boot_status: status, ..Options::default() }).await;
        let error = connect(quick_config(&central, "CP-1")).await.expect_err("must not boot");
        assert!(matches!(error, SimError::BootRejected(got) if got == expected), "{error:?}");
        // The socket is closed, not leaked.
        assert!(central.accept().await.closed().await);
    }
}

#[tokio::test]
async fn fails_when_boot_gets_a_call_error() {
    let central = Central::start(Options { call_error_for: vec!["BootNotification"], ..Options::default() }).await;
    let error = connect(quick_config(&central, "CP-1")).await.expect_err("must not boot");
    assert!(matches!(&error, SimError::BootFailed(why) if why.contains("InternalError")), "{error:?}");
}

#[tokio::test]
async fn fails_clearly_when_nobody_listens_or_the_config_is_wrong() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let error = connect(SimConfig::new(format!("ws://127.0.0.1:{port}/ocpp"), "CP-1")).await.expect_err("nobody listens");
    assert!(matches!(error, SimError::Connect { .. }), "{error:?}");
    let error = connect(SimConfig::new("http://127.0.0.1:1/ocpp", "CP-1")).await.expect_err("not a ws URL");
    assert!(matches!(error, SimError::InvalidUrl { .. }), "{error:?}");
    let error = connect(SimConfig::new("wss://127.0.0.1:1/ocpp", "CP-1")).await.expect_err("no TLS");
    assert!(matches!(error, SimError::InvalidUrl { .. }), "{error:?}");
    let error = connect(SimConfig::new("ws://127.0.0.1:1/ocpp", "CP/1")).await.expect_err("bad id");
    assert!(matches!(error, SimError::InvalidConfig(_)), "{error:?}");
}

#[tokio::test]
async fn sends_basic_auth_and_reports_a_refusal() {
    let mut central = Central::start(Options { password: Some("s3cret"), ..Options::default() }).await;
    let mut config = quick_config(&central, "CP-AUTH");
    config.basic_auth_password = Some("s3cret".to_owned());
    let _charge_point = connect(config.clone()).await.expect("right password connects");
    let session = central.accept().await;
    // base64("CP-AUTH:s3cret"), computed independently.
    assert_eq!(session.authorization.as_deref(), Some("Basic Q1AtQVVUSDpzM2NyZXQ="));

    config.basic_auth_password = Some("wrong".to_owned());
    let error = connect(config.clone()).await.expect_err("wrong password");
    assert!(matches!(error, SimError::HandshakeRejected { status: 401, .. }), "{error:?}");
    config.basic_auth_password = None;
    let error = connect(config).await.expect_err("no password");
    assert!(matches!(error, SimError::HandshakeRejected { status: 401, .. }), "{error:?}");
}

#[tokio::test]
async fn connect_many_numbers_the_ids_from_one() {
    let mut central = Central::start(Options::default()).await;
    let charge_points = connect_many(quick_config(&central, "FLEET"), 3).await.expect("connects");
    let ids: Vec<&str> = charge_points.iter().map(|c| c.id()).collect();
    assert_eq!(ids, ["FLEET-1", "FLEET-2", "FLEET-3"]);
    let mut paths = BTreeSet::new();
    for _ in 0..3 {
        let mut session = central.accept().await;
        session.expect_boot(1).await;
        paths.insert(session.path);
    }
    assert_eq!(paths, BTreeSet::from(["/ocpp/FLEET-1".to_owned(), "/ocpp/FLEET-2".to_owned(), "/ocpp/FLEET-3".to_owned()]));
    assert!(connect_many(quick_config(&central, "NONE"), 0).await.expect("nothing to do").is_empty());
}

#[tokio::test]
async fn sends_heartbeats_at_the_interval_from_boot() {
    let mut central = Central::start(Options { heartbeat_interval: 1, ..Options::default() }).await;
    let _charge_point = connect(quick_config(&central, "CP-HB")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    assert_eq!(session.expect_call("Heartbeat").await, serde_json::json!({}));
    assert_eq!(session.expect_call("Heartbeat").await, serde_json::json!({}));
}

#[tokio::test]
async fn shutdown_closes_the_socket_cleanly() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-BYE")).await.expect("connects");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    charge_point.shutdown().await;
    assert!(session.closed().await, "a Close frame was sent");
    wait_event(&mut events, |e| *e == SimEvent::Disconnected).await;
}

#[tokio::test]
async fn dropping_the_handle_ends_the_connection() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-DROP")).await.expect("connects");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    drop(charge_point);
    assert!(session.closed().await, "a Close frame was sent");
    wait_event(&mut events, |e| *e == SimEvent::Disconnected).await;
    // Every task has let go of the event sender.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Err(tokio::sync::broadcast::error::RecvError::Closed) = events.recv().await {
                return;
            }
        }
    });
    ended.await.expect("the tasks ended");
}

#[tokio::test]
async fn a_server_close_is_reported_and_later_sends_fail() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-KICK")).await.expect("connects");
    let mut events = charge_point.subscribe();
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    session.close();
    wait_event(&mut events, |e| *e == SimEvent::Disconnected).await;
    assert!(matches!(charge_point.send_raw("[2,\"x\",\"Heartbeat\",{}]"), Err(SimError::Disconnected)));
}

#[tokio::test]
async fn send_raw_reaches_the_server_as_is() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-RAW")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    charge_point.send_raw("this is not OCPP").expect("sent");
    assert_eq!(session.next().await, Received::Raw("this is not OCPP".to_owned()));
    charge_point.send_raw(r#"[2,"raw-1","Heartbeat",{}]"#).expect("sent");
    assert_eq!(session.expect_call("Heartbeat").await, serde_json::json!({}));
}

#[tokio::test]
async fn run_serves_a_fleet_until_told_to_stop() {
    let mut central = Central::start(Options::default()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(chargekit_sim::run(quick_config(&central, "RUN"), 2, async {
        let _ = stopped.await;
    }));
    let mut sessions = [central.accept().await, central.accept().await];
    for session in &mut sessions {
        session.expect_boot(1).await;
    }
    stop.send(()).expect("runner listens");
    runner.await.expect("runner task").expect("runs");
    for session in &mut sessions {
        assert!(session.closed().await, "closed cleanly");
    }
    let error = chargekit_sim::run(quick_config(&central, "RUN"), 0, async {}).await.expect_err("nothing to run");
    assert!(matches!(error, SimError::InvalidConfig(_)), "{error:?}");
}
