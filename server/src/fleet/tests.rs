use chargekit_model::ocpp::messages::ChargePointStatus;

use super::*;

fn status(s: ChargePointStatus) -> ConnectorStatus {
    ConnectorStatus::from(s)
}

#[test]
fn a_chargers_state_is_offline_first_then_its_most_pressing_connector() {
    use Availability::*;
    assert_eq!(charger_state(false, [Charging].into_iter()), Offline);
    assert_eq!(charger_state(true, [Available, Faulted, Charging].into_iter()), Faulted);
    assert_eq!(charger_state(true, [Available, Charging].into_iter()), Charging);
    assert_eq!(charger_state(true, [Unavailable, Available].into_iter()), Available);
    assert_eq!(charger_state(true, [Unknown].into_iter()), Unknown);
    assert_eq!(charger_state(true, std::iter::empty()), Unknown);
}

#[test]
fn many_messages_of_one_charger_make_one_entry_of_one_batch() {
    let board = FleetBoard::default();
    board.on_connection("A", true, OffsetDateTime::now_utc());
    for _ in 0..100 {
        board.on_status("A", 1, &status(ChargePointStatus::Charging), "NoError", OffsetDateTime::now_utc());
        board.on_heartbeat("A", OffsetDateTime::now_utc());
    }
    board.on_status("B", 1, &status(ChargePointStatus::Faulted), "GroundFailure", OffsetDateTime::now_utc());
    let (version, chargers) = board.take_changes().expect("a batch");
    assert_eq!(version, 1);
    let mut ids: Vec<_> = chargers.iter().map(|c| c.charger_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["A", "B"]);
    assert!(board.take_changes().is_none(), "nothing changed since");

    let snapshot = board.snapshot();
    assert_eq!(snapshot.version, 1);
    assert_eq!(snapshot.counts, FleetCounts { chargers: 2, online: 1, offline: 1, charging: 1, faulted: 0 });
    let b = &snapshot.chargers[1];
    assert_eq!((b.state, b.connectors[0].error_code.as_deref()), (Availability::Offline, Some("GroundFailure")));
    assert_eq!(snapshot.chargers[0].connectors[0].error_code, None, "NoError is no error");
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_dropped_not_waited_on() {
    let board = FleetBoard::default();
    let (_, mut slow) = board.subscribe();
    for i in 0..(CHANGES_KEPT + 10) {
        board.on_heartbeat("A", OffsetDateTime::now_utc());
        let (version, _) = board.take_changes().unwrap();
        // The publisher's send never blocks, however far behind the subscriber is.
        assert!(board.changes.send(Arc::new(Changes { version, json: i.to_string() })).is_ok());
    }
    assert!(matches!(slow.recv().await, Err(broadcast::error::RecvError::Lagged(_))));
}
