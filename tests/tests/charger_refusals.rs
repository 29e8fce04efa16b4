//! A charger the server will not let in hears why. The refused WebSocket upgrade keeps its
//! status (401) and carries a sentence the person running the charger can act on, and the
//! simulator passes that sentence on instead of a bare status code: an unknown id, a wrong
//! password, a missing password, the wrong transport for the charger's security profile.

use chargekit_server::{ChargerSeed, SecurityProfile};
use chargekit_sim::{SimConfig, SimError};
use chargekit_tests::{Backend, backend_with};

const BASIC: &str = "CKREF-BASIC";
const TLS: &str = "CKREF-TLS";
const PASSWORD: &str = "5d1e0c9b8a7f6e5d4c3b";

async fn backend_with_secured_chargers() -> Backend {
    backend_with(|config| {
        config.chargers.push(ChargerSeed::single(BASIC, "DE*REF*E0001*1").secured(SecurityProfile::BasicAuth, PASSWORD));
        config.chargers.push(ChargerSeed::single(TLS, "DE*REF*E0002*1").secured(SecurityProfile::TlsWithBasicAuth, PASSWORD));
    })
    .await
}

/// What `chargekit_sim::connect` says when the server refuses `id` (with `password`, if any).
async fn refusal(backend: &Backend, id: &str, password: Option<&str>) -> String {
    let mut config = SimConfig::new(backend.server.ocpp_url(), id);
    config.basic_auth_password = password.map(str::to_owned);
    match chargekit_sim::connect(config).await {
        Err(error @ SimError::HandshakeRejected { .. }) => {
            assert!(error.is_permanent(), "a refused charger is a configuration error, not worth retrying: {error}");
            error.to_string()
        }
        Err(other) => panic!("expected a refused handshake, got {other}"),
        Ok(_) => panic!("{id} was let in"),
    }
}

#[tokio::test]
async fn an_unknown_charger_is_told_to_add_itself_to_the_server_config() {
    let backend = backend_with(|_| {}).await;
    let message = refusal(&backend, "CKSIM-0001-1", None).await;
    assert!(message.contains("refused charger CKSIM-0001-1 (HTTP 401)"), "names the charger and keeps the status: {message}");
    assert!(message.contains("unknown charger CKSIM-0001-1: add it to the server config"), "says why and what to do: {message}");
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_wrong_or_missing_password_and_the_wrong_transport_are_told_apart() {
    let backend = backend_with_secured_chargers().await;

    let wrong = refusal(&backend, BASIC, Some("0000000000000000")).await;
    assert!(wrong.contains("wrong password for charger CKREF-BASIC"), "{wrong}");
    assert!(!wrong.contains(PASSWORD) && !wrong.contains("hmac"), "nothing about the real password: {wrong}");

    let missing = refusal(&backend, BASIC, None).await;
    assert!(missing.contains("CKREF-BASIC") && missing.contains("password"), "says a password is needed: {missing}");
    assert!(missing.contains("security profile 1"), "{missing}");

    let plain = refusal(&backend, TLS, Some(PASSWORD)).await;
    assert!(plain.contains("security profile 2") && plain.contains("wss://"), "says to connect over TLS: {plain}");

    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_fleet_with_an_unknown_id_fails_with_the_reason() {
    // `chargekit sim --count 3` against a server that knows only the first of the three.
    let backend = backend_with(|config| config.chargers.push(ChargerSeed::single("CKREF-FLEET-1", "DE*REF*E0011*1"))).await;
    let base = SimConfig::new(backend.server.ocpp_url(), "CKREF-FLEET");
    let error = chargekit_sim::run(base, 3, std::future::pending()).await.expect_err("the fleet cannot come online");
    let message = error.to_string();
    assert!(message.contains("unknown charger CKREF-FLEET-2: add it to the server config"), "{message}");
    backend.server.shutdown().await;
}

#[tokio::test]
async fn the_default_server_knows_the_ids_of_the_default_simulator_fleet() {
    // `chargekit serve` without a file and `chargekit sim --count 3` without flags work together.
    let dir = tempfile::tempdir().unwrap();
    let config = chargekit_server::ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        ..chargekit_server::ServerConfig::default()
    };
    let server = chargekit_server::start(config).await.expect("the default server starts");
    let base = SimConfig::new(server.ocpp_url(), "CKSIM-0001");
    let single = chargekit_sim::connect(base.clone()).await.expect("the default `sim` connects");
    let fleet = chargekit_sim::connect_many(base, chargekit_server::config::LOCAL_SIM_FLEET).await.expect("the default `sim --count N` connects");
    assert_eq!(fleet.iter().map(|c| c.id().to_owned()).collect::<Vec<_>>(), ["CKSIM-0001-1", "CKSIM-0001-2", "CKSIM-0001-3", "CKSIM-0001-4", "CKSIM-0001-5"]);
    futures_util::future::join_all(fleet.into_iter().chain([single]).map(chargekit_sim::ChargePoint::shutdown)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_charge_point_id_with_control_characters_is_refused_with_400() {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let backend = backend_with(|_| {}).await;
    // "%0A" is a line break once the path is decoded: written into the log as it is, the rest of
    // the id would be a line of its own.
    for id in ["CKTEST-0001%0A2026-12-03T00:00:00Z%20INFO%20forged", "CKTEST-0001%0D", "CK%1B%5B2K"] {
        let url = format!("{}/{id}", backend.server.ocpp_url());
        match chargekit_tests::raw_charger::open(&url, Some("ocpp1.6")).await {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 400, "{id}");
                let body: serde_json::Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).expect("a JSON body");
                assert_eq!(body["code"], "invalid_input", "{id}: {body}");
                assert!(body["message"].as_str().unwrap().contains("control characters"), "{id}: {body}");
            }
            Err(other) => panic!("{id}: expected HTTP 400, got {other}"),
            Ok(_) => panic!("{id}: expected HTTP 400, but the WebSocket opened"),
        }
    }
    backend.server.shutdown().await;
}
