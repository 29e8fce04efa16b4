//! Nobody sees another driver's data: with driver A's session, receipt, card and payment on
//! the server, driver B's token reads, stops, streams, blocks or removes none of them — every
//! answer is 404, the same as for something that does not exist, so existence does not leak —
//! and B's lists and wallet hold nothing of A's.

use std::time::Duration;

use chargekit_core::SessionState;
use chargekit_tests::{EVSE_ID, app, backend, charger, http_client, register_driver};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_b_can_reach_nothing_of_driver_a() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let base = backend.server.base_url();
    let http = http_client();

    // Driver A: a card and a finished session with its receipt.
    let phone_a = app(&backend, "a");
    phone_a.sign_up("ada@example.com".into(), "correct horse battery".into()).await.unwrap();
    let card = phone_a.register_card_text("04A2B3C4".into(), None).await.unwrap();
    let session = phone_a.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while phone_a.session(session.id.clone()).await.unwrap().state != SessionState::Charging {
        assert!(tokio::time::Instant::now() < deadline, "the charger never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live_url = format!("{base}/v1/sessions/{}/live", session.id);
    let b = register_driver(&http, &backend, "bea@example.com").await;

    // While A charges: B can neither read, stream nor stop it.
    for (method, path) in [
        ("GET", format!("/v1/sessions/{}", session.id)),
        ("POST", format!("/v1/sessions/{}/stop", session.id)),
        ("GET", format!("/v1/sessions/{}/payment", session.id)),
        ("GET", format!("/v1/sessions/{}/receipt", session.id)),
    ] {
        let request = http.request(method.parse().unwrap(), format!("{base}{path}")).bearer_auth(&b);
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        let unknown = http.request(method.parse().unwrap(), format!("{base}{}", path.replace(&session.id, "00000000-0000-4000-8000-000000000000"))).bearer_auth(&b).send().await.unwrap();
        let (theirs, nobodys): (Value, Value) = (response.json().await.unwrap(), unknown.json().await.unwrap());
        assert_eq!(theirs, nobodys, "{method} {path}: the same answer as for a session that does not exist");
    }
    let stream = http.get(&live_url).bearer_auth(&b).header("Accept", "text/event-stream").send().await.unwrap();
    assert_eq!(stream.status(), 404, "no live stream of someone else's session");

    phone_a.stop_session(session.id.clone()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while phone_a.session(session.id.clone()).await.unwrap().state != SessionState::Completed {
        assert!(tokio::time::Instant::now() < deadline, "the session never completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(phone_a.receipt(session.id.clone()).await.is_ok(), "A has a receipt");
    let receipt = http.get(format!("{base}/v1/sessions/{}/receipt", session.id)).bearer_auth(&b).send().await.unwrap();
    assert_eq!(receipt.status(), 404, "B gets no receipt of A's");

    // A's card: B cannot block or remove it, and does not see it.
    let patch = http.patch(format!("{base}/v1/tokens/{}", card.id_tag)).bearer_auth(&b).json(&json!({"status": "blocked"})).send().await.unwrap();
    assert_eq!(patch.status(), 404);
    assert_eq!(http.delete(format!("{base}/v1/tokens/{}", card.id_tag)).bearer_auth(&b).send().await.unwrap().status(), 404);
    let tokens: Vec<Value> = http.get(format!("{base}/v1/tokens")).bearer_auth(&b).send().await.unwrap().json().await.unwrap();
    assert!(tokens.iter().all(|t| t["id_tag"] != card.id_tag.as_str()), "{tokens:?}");

    // B's lists and wallet hold nothing of A's.
    let sessions: Value = http.get(format!("{base}/v1/sessions")).bearer_auth(&b).send().await.unwrap().json().await.unwrap();
    assert_eq!(sessions["sessions"], json!([]));
    let changes: Value = http.get(format!("{base}/v1/sessions/changes?after=0")).bearer_auth(&b).send().await.unwrap().json().await.unwrap();
    assert_eq!(changes["sessions"], json!([]));
    let wallet = http.get(format!("{base}/v1/wallet")).bearer_auth(&b).send().await.unwrap();
    assert_eq!(wallet.status(), 200);
    let wallet: Value = wallet.json().await.unwrap();
    assert!(wallet["balances"].as_array().is_none_or(|b| b.iter().all(|b| b["available_minor"] == 0 && b["held_minor"] == 0)), "{wallet}");
    let methods: Vec<Value> = http.get(format!("{base}/v1/payment-methods")).bearer_auth(&b).send().await.unwrap().json().await.unwrap();
    assert!(methods.iter().all(|m| m["kind"] == "wallet"), "B has only their own wallet: {methods:?}");
    charger.shutdown().await;
    backend.server.shutdown().await;
}
