//! Cards and contracts from the app: the core normalizes a card's UID and checks a contract's
//! chain before registering them; the card tapped at a charger and the car plugged in with the
//! contract both start sessions the app finds; a card blocked from the app is refused.

use chargekit_core::{AuthMethod, ChargeKitError, SessionState, TokenKind};
use chargekit_tests::pki::contract_pki;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{CHARGER_ID, app, backend};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_registered_in_the_app_charges_and_can_be_blocked() {
    let backend = backend().await;
    let phone = app(&backend, "phone");
    phone.sign_up("ana@example.com".into(), "correct horse battery".into()).await.unwrap();
    // A 7-byte ISO 14443 UID as Android's Tag.getId() gives it.
    let card = phone.register_card(vec![0x04, 0xA2, 0xB3, 0xC4, 0xD5, 0xE6, 0xF7], Some("work card".into())).await.unwrap();
    assert_eq!((card.id_tag.as_str(), card.kind, card.blocked), ("04A2B3C4D5E6F7", TokenKind::Rfid, false));
    match phone.register_card(vec![0x01, 0x02], None).await {
        Err(ChargeKitError::InvalidInput { message }) => assert!(!message.is_empty()),
        other => panic!("a two-byte UID must be refused, got {other:?}"),
    }
    let listed = phone.tokens().await.unwrap();
    assert!(listed.iter().any(|t| t.id_tag == card.id_tag && t.label.as_deref() == Some("work card")));
    assert!(listed.iter().any(|t| t.kind == TokenKind::App), "the app's own tag is listed too");

    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": card.id_tag, "meterStart": 0, "timestamp": now})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let live = phone.active_session().await.unwrap().expect("the card's session");
    assert_eq!((live.state, live.auth_method), (SessionState::Charging, AuthMethod::Rfid));

    let blocked = phone.set_token_blocked(card.id_tag.clone(), true).await.unwrap();
    assert!(blocked.blocked);
    let answer = charger.call("Authorize", json!({"idTag": card.id_tag})).await;
    assert_eq!(answer["idTagInfo"]["status"], "Blocked");
    phone.remove_token(card.id_tag.clone()).await.unwrap();
    assert_eq!(charger.call("Authorize", json!({"idTag": card.id_tag})).await["idTagInfo"]["status"], "Invalid");
    assert!(matches!(phone.remove_token(card.id_tag.clone()).await, Err(ChargeKitError::NotFound { .. })));
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_checked_by_the_app_lets_the_car_charge_with_plug_and_charge() {
    let backend = backend().await;
    let phone = app(&backend, "phone");
    phone.sign_up("ben@example.com".into(), "correct horse battery".into()).await.unwrap();
    let pki = contract_pki("DE-8AA-CA2B3C4D5-L");
    let other_root = contract_pki("DE-8AA-CA2B3C4D5-L").root_pem;
    match phone.register_contract(pki.chain_pem.clone().into_bytes(), other_root.into_bytes(), None).await {
        Err(ChargeKitError::InvalidInput { message }) => assert!(!message.is_empty()),
        other => panic!("a chain to another root must be refused, got {other:?}"),
    }
    assert!(phone.tokens().await.unwrap().iter().all(|t| t.kind != TokenKind::Contract), "nothing registered");

    let contract = phone.register_contract(pki.chain_pem.into_bytes(), pki.root_pem.into_bytes(), Some("my car".into())).await.unwrap();
    assert_eq!(contract.emaid, "DE8AACA2B3C4D5L");
    let token = phone.tokens().await.unwrap().into_iter().find(|t| t.kind == TokenKind::Contract).expect("the contract");
    assert_eq!(token.id_tag, contract.emaid);
    assert_eq!(token.expires_at, Some(contract.not_after_epoch_seconds));

    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let data = json!({"idToken": {"idToken": contract.emaid, "type": "eMAID"}}).to_string();
    let answer = charger.call("DataTransfer", json!({"vendorId": "org.openchargealliance.iso15118pnc", "messageId": "Authorize", "data": data})).await;
    let verdict: serde_json::Value = serde_json::from_str(answer["data"].as_str().unwrap()).unwrap();
    assert_eq!(verdict["idTokenInfo"]["status"], "Accepted");
    let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    charger.call("StartTransaction", json!({"connectorId": 1, "idTag": contract.emaid, "meterStart": 0, "timestamp": now})).await;
    let live = phone.active_session().await.unwrap().expect("the session the car started");
    assert_eq!(live.auth_method, AuthMethod::PlugAndCharge);
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_and_cars_at_the_simulator_start_sessions_the_app_watches_live() {
    let backend = backend().await;
    let charger = chargekit_tests::charger(&backend).await;
    let phone = app(&backend, "phone");
    phone.sign_up("cleo@example.com".into(), "correct horse battery".into()).await.unwrap();
    let card = phone.register_card_text("04:a2:b3:c4".into(), None).await.unwrap();

    use chargekit_model::ocpp::messages::AuthorizationStatus;
    assert_eq!(charger.tap_card(1, "DEADBEEF").await.unwrap(), AuthorizationStatus::Invalid);
    assert!(charger.transactions().is_empty(), "an unknown card starts nothing");
    assert_eq!(charger.tap_card(1, &card.id_tag).await.unwrap(), AuthorizationStatus::Accepted);

    let mut live = None;
    for _ in 0..100 {
        live = phone.active_session().await.unwrap();
        if live.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let live = live.expect("the app finds the session the card started");
    assert_eq!(live.auth_method, AuthMethod::Rfid);
    let recorder = std::sync::Arc::new(chargekit_tests::Recorder::default());
    let _handle = phone.observe_session(live.id.clone(), recorder.clone());
    let wait = std::time::Duration::from_secs(20);
    recorder.wait_for(wait, |u| u.iter().filter(|s| s.state == SessionState::Charging && s.energy_wh > 0).count() >= 2).await;
    assert!(charger.stop_locally(1), "tapped again to stop");
    let seen = recorder.wait_for(wait, |u| u.last().is_some_and(|s| s.state == SessionState::Completed)).await;
    assert_eq!(Some(seen.last().unwrap().energy_wh), charger.transactions()[0].energy_wh());

    phone.set_token_blocked(card.id_tag.clone(), true).await.unwrap();
    assert_eq!(charger.tap_card(1, &card.id_tag).await.unwrap(), AuthorizationStatus::Blocked);
    assert_eq!(charger.transactions().len(), 1, "a blocked card starts nothing");
    charger.shutdown().await;
    backend.server.shutdown().await;
}
