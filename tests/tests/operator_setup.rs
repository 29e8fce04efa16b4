//! An operator's first steps: the shipped example config starts a server as it is, the
//! simulator commands it names connect its chargers, and config files read as documented.

use std::path::PathBuf;

use chargekit_server::{SecurityProfile, ServerConfig};
use chargekit_sim::SimConfig;
use chargekit_tests::http_client;
use serde_json::json;

fn example_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/server.json")
}

#[tokio::test]
async fn the_example_config_starts_a_server_whose_chargers_connect_as_its_comments_say() {
    let text = std::fs::read_to_string(example_config()).expect("the example config is shipped");
    let mut config = ServerConfig::from_file(&example_config()).expect("serve --config accepts the example as it is");
    assert!(text.contains("//"), "the example explains itself in comments");
    assert!(!config.chargers.is_empty() && !config.operators.is_empty(), "it shows chargers and an operator");
    assert!(config.chargers.iter().any(|c| c.security_profile == SecurityProfile::BasicAuth), "and a charger with a password");

    let dir = tempfile::tempdir().unwrap();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.database = dir.path().join("server.db");
    let chargers = config.chargers.clone();
    let operator = config.operators[0].clone();
    let tariff_id = config.tariff.id.clone();
    let server = chargekit_server::start(config).await.expect("the example starts a server");

    for charger in &chargers {
        // The comment gives the simulator command of each charger, with its password.
        let mut command = format!("chargekit sim --id {}", charger.charge_point_id);
        if charger.evses.len() > 1 {
            command.push_str(&format!(" --connectors {}", charger.evses.len()));
        }
        if let Some(password) = &charger.password {
            command.push_str(&format!(" --password {password}"));
        }
        assert!(text.contains(&command), "the example says how to simulate {}: `{command}`", charger.charge_point_id);

        let mut sim = SimConfig::new(server.ocpp_url(), &charger.charge_point_id);
        sim.connectors = u32::try_from(charger.evses.len()).unwrap();
        sim.basic_auth_password = charger.password.clone();
        let charge_point = chargekit_sim::connect(sim).await.unwrap_or_else(|e| panic!("{} connects: {e}", charger.charge_point_id));
        charge_point.shutdown().await;
    }

    let http = http_client();
    let signed_in = http
        .post(format!("{}/v1/operator/sign-in", server.base_url()))
        .json(&json!({"username": operator.username, "password": operator.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200, "the example's operator signs in");

    let registered: serde_json::Value = http
        .post(format!("{}/v1/auth/register", server.base_url()))
        .json(&json!({"email": "newcomer@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = registered["token"].as_str().expect("a driver token");
    let url = format!("{}/v1/evses/{}", server.base_url(), chargers[0].evses[0].evse_id);
    let evse: serde_json::Value = http.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(evse["tariff"]["id"], tariff_id, "its EVSEs are priced with its tariff: {evse}");
    server.shutdown().await;
}

#[test]
fn a_config_file_may_carry_comments_and_names_durations_with_their_unit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    let text = r#"{
        // a line comment
        "charger_call_timeout_secs": 7, /* a block comment */
        "start_timeout_secs": 8,
        "token_lifetime_secs": 9,
        "access_token_lifetime_secs": 10,
        "payments": { "capture_retry_delay_ms": 11, "card": { "api_base": "http://127.0.0.1:9", "secret_key": "sk_test_x", "timeout_secs": 12 } },
        "tariff": { "id": "t // not a comment", "currency": "EUR", "elements": [{ "price_components": [{ "type": "ENERGY", "price": 0.3 }] }] }
    }"#;
    std::fs::write(&path, text).unwrap();
    let config = ServerConfig::from_file(&path).expect("comments are allowed");
    assert_eq!(config.charger_call_timeout.as_secs(), 7);
    assert_eq!(config.start_timeout.as_secs(), 8);
    assert_eq!(config.token_lifetime.as_secs(), 9);
    assert_eq!(config.access_token_lifetime.as_secs(), 10);
    assert_eq!(config.payments.capture_retry_delay.as_millis(), 11);
    assert_eq!(config.payments.card.as_ref().unwrap().timeout.as_secs(), 12);
    assert_eq!(config.tariff.id, "t // not a comment", "a // inside a string is no comment");

    // The names without a unit that earlier files used still read the same.
    let legacy = r#"{ "charger_call_timeout": 7, "start_timeout": 8, "token_lifetime": 9, "access_token_lifetime": 10,
        "payments": { "capture_retry_delay": 11, "card": { "api_base": "http://127.0.0.1:9", "secret_key": "sk_test_x", "timeout": 12 } } }"#;
    std::fs::write(&path, legacy).unwrap();
    let config = ServerConfig::from_file(&path).expect("the old names are read");
    assert_eq!(config.charger_call_timeout.as_secs(), 7);
    assert_eq!(config.access_token_lifetime.as_secs(), 10);
    assert_eq!(config.payments.capture_retry_delay.as_millis(), 11);
    assert_eq!(config.payments.card.as_ref().unwrap().timeout.as_secs(), 12);

    // Written back out, a config names every duration with its unit.
    let written = serde_json::to_value(&config).unwrap();
    for key in ["charger_call_timeout_secs", "start_timeout_secs", "token_lifetime_secs", "access_token_lifetime_secs", "heartbeat_interval_secs"] {
        assert!(written.get(key).is_some(), "{key} in {written}");
    }
    assert!(written["payments"].get("capture_retry_delay_ms").is_some());
}

#[test]
fn a_relative_database_path_is_read_from_the_config_files_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.json");
    std::fs::write(&path, r#"{"database": "data/server.db"}"#).unwrap();
    assert_eq!(ServerConfig::from_file(&path).unwrap().database, dir.path().join("data/server.db"));
    std::fs::write(&path, "{}").unwrap();
    assert_eq!(
        ServerConfig::from_file(&path).unwrap().database,
        chargekit_server::config::default_data_dir().join("chargekit.db"),
        "no database: the data directory, where `chargekit report` looks"
    );
}

/// Every key a server config can have is shown in the example, set or commented out, so an
/// operator finds them all in one file (the scrape token and the plausibility limits were
/// missing).
#[test]
fn the_example_config_names_every_key() {
    let text = std::fs::read_to_string(example_config()).unwrap();
    let mut config = ServerConfig::default();
    // Keys left out of a serialized config when unset.
    config.metrics_token = Some("t".into());
    config.receipt_signing_key = Some("k".into());
    config.push.fcm = Some(chargekit_server::FcmConfig { service_account_file: "f".into(), api_base: "b".into() });
    config.push.apns = Some(chargekit_server::ApnsConfig {
        key_file: "k".into(),
        key_id: "i".into(),
        team_id: "t".into(),
        topic: "o".into(),
        api_base: "b".into(),
    });
    let mut keys = Vec::new();
    fn collect(value: &serde_json::Value, keys: &mut Vec<String>) {
        if let serde_json::Value::Object(map) = value {
            for (key, inner) in map {
                keys.push(key.clone());
                // The tariff is OCPI's format, documented there; the chargers are shown whole.
                if key != "tariff" && key != "chargers" {
                    collect(inner, keys);
                }
            }
        }
    }
    collect(&serde_json::to_value(&config).unwrap(), &mut keys);
    for key in ["ocpp_tls", "card"] {
        keys.push(key.into());
    }
    let missing: Vec<_> = keys.iter().filter(|k| !text.contains(&format!("\"{k}\""))).collect();
    assert!(missing.is_empty(), "docs/examples/server.json does not show {missing:?}");
}
