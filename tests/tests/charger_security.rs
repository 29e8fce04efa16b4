//! OCPP 1.6 security profiles: HTTP Basic before the upgrade (profile 1), TLS plus Basic
//! (profile 2). A wrong password, an unknown charger, or a charger on another profile's
//! transport is refused with 401 before any WebSocket exists.

use chargekit_server::{ChargerSeed, SecurityProfile};
use chargekit_tests::raw_charger::{Socket, exchange, open_as};
use chargekit_tests::tls::test_tls;
use chargekit_tests::{backend_with, http_client};
use serde_json::json;
use tokio_tungstenite::tungstenite::Error as WsError;

const BASIC: &str = "CKSEC-BASIC";
const TLS: &str = "CKSEC-TLS";
const OPEN: &str = "CKSEC-OPEN";
const PASSWORD: &str = "7f3c1e9a0b2d4c6e8f10";
const TLS_PASSWORD: &str = "a1b2c3d4e5f60718293a4b5c";

fn refused_with_401(result: Result<(Socket, Option<String>), WsError>) {
    match result {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 401);
            let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(challenge.starts_with("Basic"), "a Basic challenge: {challenge:?}");
        }
        Err(other) => panic!("expected HTTP 401, got {other}"),
        Ok(_) => panic!("expected HTTP 401, but the WebSocket opened"),
    }
}

async fn works(result: Result<(Socket, Option<String>), WsError>) {
    let (mut socket, agreed) = result.expect("the charger is let in");
    assert_eq!(agreed.as_deref(), Some("ocpp1.6"));
    let answer = exchange(&mut socket, r#"[2, "h1", "Heartbeat", {}]"#).await;
    assert_eq!((answer[0].clone(), answer[1].clone()), (json!(3), json!("h1")));
}

#[tokio::test]
async fn chargers_get_in_only_with_their_credentials_on_their_profiles_transport() {
    let dir = tempfile::tempdir().unwrap();
    let tls = test_tls(dir.path());
    let backend = backend_with(|config| {
        config.chargers.push(ChargerSeed::single(BASIC, "DE*SEC*E0001*1").secured(SecurityProfile::BasicAuth, PASSWORD));
        config.chargers.push(ChargerSeed::single(TLS, "DE*SEC*E0002*1").secured(SecurityProfile::TlsWithBasicAuth, TLS_PASSWORD));
        config.chargers.push(ChargerSeed::single(OPEN, "DE*SEC*E0003*1"));
        config.ocpp_tls = Some(tls.listener.clone());
    })
    .await;
    let plain = |id: &str| format!("{}/{id}", backend.server.ocpp_url());
    let secure = |id: &str| format!("{}/{id}", backend.server.ocpp_tls_url().expect("TLS configured"));
    let ocpp = Some("ocpp1.6");

    // Profile 1: Basic auth over ws://.
    works(open_as(&plain(BASIC), ocpp, Some((BASIC, PASSWORD)), None).await).await;
    refused_with_401(open_as(&plain(BASIC), ocpp, None, None).await);
    refused_with_401(open_as(&plain(BASIC), ocpp, Some((BASIC, "7f3c1e9a0b2d4c6e8f11")), None).await);
    refused_with_401(open_as(&plain(BASIC), ocpp, Some((OPEN, PASSWORD)), None).await);
    refused_with_401(open_as(&secure(BASIC), ocpp, Some((BASIC, PASSWORD)), Some(tls.client.clone())).await);

    // Profile 2: Basic auth over wss:// only.
    works(open_as(&secure(TLS), ocpp, Some((TLS, TLS_PASSWORD)), Some(tls.client.clone())).await).await;
    refused_with_401(open_as(&plain(TLS), ocpp, Some((TLS, TLS_PASSWORD)), None).await);
    refused_with_401(open_as(&secure(TLS), ocpp, Some((TLS, PASSWORD)), Some(tls.client.clone())).await);
    refused_with_401(open_as(&secure(TLS), ocpp, None, Some(tls.client.clone())).await);

    // Profile 0 (labs): plain only; unknown chargers nowhere.
    works(open_as(&plain(OPEN), ocpp, None, None).await).await;
    refused_with_401(open_as(&secure(OPEN), ocpp, None, Some(tls.client.clone())).await);
    refused_with_401(open_as(&plain("NOT-CONFIGURED"), ocpp, Some(("NOT-CONFIGURED", PASSWORD)), None).await);
    refused_with_401(open_as(&secure("NOT-CONFIGURED"), ocpp, None, Some(tls.client.clone())).await);

    // The driver API is not on the chargers' TLS listener.
    let health = http_client().get(format!("http://{}/health", backend.server.addr())).send().await.unwrap();
    assert_eq!(health.status(), 200);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_secured_charger_without_a_proper_password_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [
        ChargerSeed::single(BASIC, "DE*SEC*E0001*1").secured(SecurityProfile::BasicAuth, "short"),
        ChargerSeed { password: None, ..ChargerSeed::single(TLS, "DE*SEC*E0002*1").secured(SecurityProfile::TlsWithBasicAuth, "") },
    ] {
        let config = chargekit_server::ServerConfig {
            bind: ([127, 0, 0, 1], 0).into(),
            database: dir.path().join("server.db"),
            chargers: vec![seed],
            ..Default::default()
        };
        match chargekit_server::start(config).await {
            Err(chargekit_server::StartError::Config(message)) => assert!(message.contains("password"), "{message}"),
            Err(other) => panic!("expected a configuration error, got {other}"),
            Ok(_) => panic!("a secured charger without a proper password was accepted"),
        }
    }
}

/// A config file whose one charger is given as `charger`, with a database in `dir`.
fn config_file(dir: &std::path::Path, charger: serde_json::Value) -> std::path::PathBuf {
    let config = json!({"bind": "127.0.0.1:0", "database": dir.join("server.db"), "chargers": [charger]});
    let path = dir.join("server.json");
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

#[tokio::test]
async fn a_config_file_must_choose_each_chargers_security_profile() {
    let dir = tempfile::tempdir().unwrap();
    let evses = json!([{"connector_id": 1, "evse_id": "DE*LAB*E0001*1"}]);

    let silent = config_file(dir.path(), json!({"charge_point_id": "CKLAB-SILENT", "evses": evses}));
    let message = chargekit_server::ServerConfig::from_file(&silent).expect_err("a charger without a security profile is refused");
    assert!(message.contains("CKLAB-SILENT"), "names the charger: {message}");
    assert!(message.contains("security_profile") && message.contains("0, 1 or 2"), "says what to choose: {message}");
    assert!(message.contains("anyone who knows the id"), "says what 0 means: {message}");

    // Profile 0, chosen: the server starts and the charger connects without credentials.
    let open = config_file(dir.path(), json!({"charge_point_id": OPEN, "evses": evses, "security_profile": 0}));
    let backend = chargekit_server::start(chargekit_server::ServerConfig::from_file(&open).unwrap()).await.expect("profile 0 starts");
    works(open_as(&format!("{}/{OPEN}", backend.ocpp_url()), Some("ocpp1.6"), None, None).await).await;
    backend.shutdown().await;

    // Profile 1 as before: credentials or 401.
    let basic = config_file(dir.path(), json!({"charge_point_id": BASIC, "evses": evses, "security_profile": 1, "password": PASSWORD}));
    let backend = chargekit_server::start(chargekit_server::ServerConfig::from_file(&basic).unwrap()).await.expect("profile 1 starts");
    let url = format!("{}/{BASIC}", backend.ocpp_url());
    refused_with_401(open_as(&url, Some("ocpp1.6"), None, None).await);
    works(open_as(&url, Some("ocpp1.6"), Some((BASIC, PASSWORD)), None).await).await;
    backend.shutdown().await;

    let unknown = config_file(dir.path(), json!({"charge_point_id": "CKLAB-3", "evses": evses, "security_profile": 3}));
    let message = chargekit_server::ServerConfig::from_file(&unknown).expect_err("profile 3 does not exist");
    assert!(message.contains("0, 1 or 2"), "{message}");
}

#[test]
fn a_config_file_refuses_keys_it_does_not_know_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    let charger = json!({"charge_point_id": OPEN, "evses": [{"connector_id": 1, "evse_id": "DE*LAB*E0001*1"}], "security_profile": 0});
    for (config, key) in [
        // `operator` for `operators`: today it would start a server with no operator.
        (json!({"chargers": [charger], "operator": [{"username": "ops", "password": "a long operator password"}]}), "operator"),
        (json!({"chargers": [charger], "payments": {"hold": 5000}}), "hold"),
        (json!({"chargers": [{"charge_point_id": OPEN, "evses": [], "security_profile": 0, "pasword": "typo"}]}), "pasword"),
        (json!({"chargers": [{"charge_point_id": OPEN, "evses": [{"connector_id": 1, "evse_id": "DE*LAB*E0001*1", "max_power_kw": 22}], "security_profile": 0}]}), "max_power_kw"),
    ] {
        std::fs::write(&path, config.to_string()).unwrap();
        let message = chargekit_server::ServerConfig::from_file(&path).expect_err("an unknown key is refused");
        assert!(message.contains(&format!("`{key}`")), "names the key: {message}");
        assert!(message.contains("server.json"), "names the file: {message}");
    }
}
