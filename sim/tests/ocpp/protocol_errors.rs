//! CALLERRORs the charge point sends for CALLs it does not know and frames it cannot read.

use chargekit_model::ocpp::Frame;
use chargekit_sim::connect;
use serde_json::json;

use crate::central::{Central, Options};
use crate::quick_config;

/// `(id, code)` of a CALLERROR.
fn call_error(frame: Frame) -> (String, String) {
    match frame {
        Frame::CallError { id, code, .. } => (id, code),
        other => panic!("expected a CALLERROR, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_actions_get_not_implemented_and_unsupported_ones_not_supported() {
    let mut central = Central::start(Options::default()).await;
    let _charge_point = connect(quick_config(&central, "CP-NI")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    for (action, code) in [("NoSuchAction", "NotImplemented"), ("UpdateFirmware", "NotSupported"), ("ReserveNow", "NotSupported")] {
        let reply = session.call(action, json!({"type": "Soft"})).await;
        let id = reply.id().to_owned();
        assert_eq!(call_error(reply), (id, code.to_owned()), "{action}");
    }
    // Operations it does support answer, also to a payload that does not fit.
    let reply = session.call("Reset", json!({"type": "Soft"})).await;
    assert!(matches!(reply, Frame::CallResult { ref payload, .. } if payload["status"] == "Accepted"), "{reply:?}");
    let reply = session.call("ChangeConfiguration", json!({"type": "Soft"})).await;
    let id = reply.id().to_owned();
    assert_eq!(call_error(reply), (id, "OccurenceConstraintViolation".to_owned()), "missing key and value");
}

#[tokio::test]
async fn malformed_frames_get_call_errors_and_do_no_harm() {
    let mut central = Central::start(Options::default()).await;
    let _charge_point = connect(quick_config(&central, "CP-BAD")).await.expect("connects");
    let mut session = central.accept().await;
    session.expect_boot(1).await;

    for (text, id, code) in [
        ("not json", "-1", "FormationViolation"),
        ("{}", "-1", "FormationViolation"),
        (r#"[2,"abc","Reset"]"#, "abc", "FormationViolation"),
        (r#"[2,"abd","Reset",[]]"#, "abd", "FormationViolation"),
        (r#"[7,"abe",{}]"#, "abe", "ProtocolError"),
    ] {
        session.send_text(text);
        assert_eq!(call_error(session.next_reply().await), (id.to_owned(), code.to_owned()), "{text}");
    }
    // A CALL of a known action with a payload that does not fit.
    let reply = session.call("RemoteStartTransaction", json!({})).await;
    assert_eq!(call_error(reply).1, "OccurenceConstraintViolation");
    let reply = session.call("RemoteStartTransaction", json!({"idTag": 5})).await;
    assert_eq!(call_error(reply).1, "TypeConstraintViolation");
    let reply = session.call("RemoteStopTransaction", json!({"transactionId": "seven"})).await;
    assert_eq!(call_error(reply).1, "TypeConstraintViolation");
    // An answer to a CALL the charge point never sent is ignored.
    session.send_text(r#"[3,"never-sent",{}]"#);

    // Still in business.
    assert_eq!(session.call_status("RemoteStartTransaction", json!({"idTag": "TAG"})).await, "Accepted");
    assert_eq!(session.expect_status().await, (1, "Preparing".to_owned()));
    session.expect_call("StartTransaction").await;
}
