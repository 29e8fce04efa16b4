//! Slow and idle clients, with short limits configured: a request head that never completes
//! and a kept-alive connection left idle are closed; connections over the cap are answered
//! 503 and a freed slot serves again; chargers (upgraded WebSockets, plain and TLS) and live
//! SSE streams outlast the idle timeout and hold no HTTP slot. Every wait is bounded.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chargekit_core::SessionState;
use chargekit_server::{ChargerSeed, SecurityProfile};
use chargekit_tests::raw_charger::{RawCharger, exchange, open_as};
use chargekit_tests::tls::test_tls;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, api_token, app, backend_with, charger, http_client};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The short limit the tests configure; each waits at most [`BOUND`] for what it expects.
const SHORT: Duration = Duration::from_secs(1);
const BOUND: Duration = Duration::from_secs(10);
/// How long a connection that must survive the idle timeout is watched: several timeouts.
const OUTLAST: Duration = Duration::from_secs(3);

const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nhost: chargekit\r\n\r\n";

/// A response read off a raw connection.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Reads one HTTP/1.1 response with a `content-length` (all the server's short answers have one).
async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut buffer = Vec::new();
    let read = async {
        loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().expect("a content length"))
                    .expect("a content-length header");
                if buffer.len() >= end + 4 + length {
                    let status = head[9..12].parse().expect("a status code");
                    let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                    return Answer { status, head, body };
                }
            }
            let mut chunk = [0; 4096];
            let n = stream.read(&mut chunk).await.expect("the answer is readable");
            assert!(n > 0, "the connection closed before a whole answer: {:?}", String::from_utf8_lossy(&buffer));
            buffer.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(BOUND, read).await.expect("an answer in time")
}

/// A new connection that has been served `GET /health` and is kept alive.
async fn served_connection(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(GET_HEALTH).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert_eq!(answer.status, 200, "served: {}", answer.head);
    assert!(!answer.head.contains("connection: close"), "kept alive: {}", answer.head);
    stream
}

/// Waits (at most [`BOUND`]) for the server to close `stream`; true if it did.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let until_closed = async {
        let mut sink = [0; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(BOUND, until_closed).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_completes_is_cut_off() {
    // A long idle timeout: only the header-read timeout can explain a close.
    let backend = backend_with(|c| {
        c.header_read_timeout = SHORT;
        c.idle_timeout = Duration::from_secs(600);
    })
    .await;
    let addr = backend.server.addr();

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half_line = TcpStream::connect(addr).await.unwrap();
    half_line.write_all(b"GET /health HT").await.unwrap();
    // A kept-alive connection whose next request stops halfway through its headers.
    let mut half_headers = served_connection(addr).await;
    half_headers.write_all(b"GET /health HTTP/1.1\r\nhost: chargekit\r\n").await.unwrap();

    assert!(closed_by_server(&mut silent).await, "a connection that sends nothing is closed");
    assert!(closed_by_server(&mut half_line).await, "half a request line is cut off");
    assert!(closed_by_server(&mut half_headers).await, "half a next request is cut off");
    // The server serves on.
    drop(served_connection(addr).await);
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_and_a_busy_one_is_not() {
    let backend = backend_with(|c| {
        c.header_read_timeout = Duration::from_secs(600);
        c.idle_timeout = SHORT;
    })
    .await;
    let addr = backend.server.addr();

    // Busy: a request every 300 ms for several idle timeouts, all on one connection.
    let mut busy = served_connection(addr).await;
    let until = tokio::time::Instant::now() + OUTLAST;
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(300)).await;
        busy.write_all(GET_HEALTH).await.unwrap();
        assert_eq!(read_answer(&mut busy).await.status, 200, "a connection in use is not idle");
    }

    let mut idle = served_connection(addr).await;
    assert!(closed_by_server(&mut idle).await, "an idle kept-alive connection is closed");
    assert!(closed_by_server(&mut busy).await, "and so is the busy one once it goes quiet");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_is_answered_503_and_a_freed_slot_serves_again() {
    const CAP: usize = 3;
    let backend = backend_with(|c| c.max_connections = CAP).await;
    let addr = backend.server.addr();
    let mut open: Vec<TcpStream> = Vec::new();
    for _ in 0..CAP {
        open.push(served_connection(addr).await);
    }

    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra.write_all(GET_HEALTH).await.unwrap();
    let refused = read_answer(&mut extra).await;
    assert_eq!(refused.status, 503, "over the cap: {}", refused.head);
    assert!(refused.head.contains("retry-after: 1"), "{}", refused.head);
    let error: Value = serde_json::from_str(&refused.body).expect("a JSON error");
    assert_eq!(error["code"], "rate_limited");
    assert!(error["message"].as_str().unwrap().contains("max_connections"), "{error}");
    assert!(closed_by_server(&mut extra).await, "the refused connection is closed");

    // The connections within the cap are served as before.
    for stream in &mut open {
        stream.write_all(GET_HEALTH).await.unwrap();
        assert_eq!(read_answer(stream).await.status, 200);
    }

    // One leaves; its slot is given back (once the server has seen it go).
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(GET_HEALTH).await.unwrap();
        let answer = read_answer(&mut stream).await;
        if answer.status == 200 {
            break;
        }
        assert_eq!(answer.status, 503);
        assert!(tokio::time::Instant::now() < deadline, "the freed slot never served again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charger_outlasts_the_idle_timeout_and_holds_no_http_slot() {
    let backend = backend_with(|c| {
        c.header_read_timeout = SHORT;
        c.idle_timeout = SHORT;
        c.max_connections = 1;
    })
    .await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let boot = charger.call("BootNotification", json!({"chargePointVendor": "ChargeKit", "chargePointModel": "Test"})).await;
    assert_eq!(boot["status"], "Accepted");
    // The one HTTP slot is free for a client while the charger is connected.
    drop(served_connection(backend.server.addr()).await);

    tokio::time::sleep(OUTLAST).await;
    let heartbeat = charger.call("Heartbeat", json!({})).await;
    assert!(heartbeat["currentTime"].is_string(), "the charger is still connected: {heartbeat}");
    drop(served_connection(backend.server.addr()).await);
    backend.server.shutdown().await;
}

const TLS_CHARGER: &str = "CKTEST-TLS";
const TLS_PASSWORD: &str = "a charger password of some length";

/// A server with a TLS listener for one profile-2 charger, and the client config that trusts it.
async fn tls_backend() -> (Backend, Arc<rustls::ClientConfig>) {
    let certificates = tempfile::tempdir().unwrap();
    let tls = test_tls(certificates.path());
    let backend = backend_with(|c| {
        c.header_read_timeout = SHORT;
        c.idle_timeout = SHORT;
        c.max_connections = 1;
        c.ocpp_tls = Some(tls.listener);
        c.chargers.push(ChargerSeed::single(TLS_CHARGER, "DE*CKT*E0077*1").secured(SecurityProfile::TlsWithBasicAuth, TLS_PASSWORD));
    })
    .await;
    // The server has read the certificate and key.
    drop(certificates);
    (backend, tls.client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_tls_listener_slow_clients_are_cut_off_and_chargers_stay() {
    let (backend, client) = tls_backend().await;
    let url = backend.server.ocpp_tls_url().expect("a TLS listener");
    let tls_addr: SocketAddr = url.trim_start_matches("wss://").trim_end_matches("/ocpp").parse().unwrap();

    // Silent before the handshake: closed within the header-read timeout.
    let mut silent = TcpStream::connect(tls_addr).await.unwrap();
    assert!(closed_by_server(&mut silent).await, "a TLS client that never says hello is closed");

    // A charger takes the one slot to connect, and gives it back once upgraded.
    let (mut socket, _) = open_as(&format!("{url}/{TLS_CHARGER}"), Some("ocpp1.6"), Some((TLS_CHARGER, TLS_PASSWORD)), Some(client.clone()))
        .await
        .expect("the TLS charger connects");

    // Handshaken (so it got the slot: one over the cap is closed before the handshake), then
    // half a request head: cut off.
    let half_head_closed = tokio::task::spawn_blocking(move || {
        let tcp = std::net::TcpStream::connect(tls_addr).unwrap();
        tcp.set_read_timeout(Some(BOUND)).unwrap();
        let connection = rustls::ClientConnection::new(client, "127.0.0.1".try_into().unwrap()).unwrap();
        let mut tls = rustls::StreamOwned::new(connection, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).expect("the handshake completes: the charger holds no slot");
        }
        tls.write_all(b"GET /ocpp/CKTEST-TLS HTTP/1.1\r\n").unwrap();
        tls.flush().unwrap();
        let mut sink = [0; 1024];
        loop {
            match tls.read(&mut sink) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
                Err(_) => return true,
            }
        }
    });
    assert!(half_head_closed.await.unwrap(), "half a request head over TLS is cut off");

    // The charger outlasts the idle timeout.
    tokio::time::sleep(OUTLAST).await;
    let answer = exchange(&mut socket, r#"[2, "tls-1", "Heartbeat", {}]"#).await;
    assert_eq!(answer[0], json!(3), "the TLS charger is still connected: {answer}");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_outlasts_the_idle_timeout() {
    let backend = backend_with(|c| {
        c.header_read_timeout = SHORT;
        c.idle_timeout = SHORT;
    })
    .await;
    let charger = charger(&backend).await; // meter values every 200 ms
    let phone = app(&backend, "phone");
    phone.sign_up("lee@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = phone.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let deadline = tokio::time::Instant::now() + BOUND;
    while phone.session(session.id.clone()).await.unwrap().state != SessionState::Charging {
        assert!(tokio::time::Instant::now() < deadline, "the charger never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let http = http_client();
    let bearer = api_token(&http, &backend, "lee@example.com", "correct horse battery").await;
    let url = format!("{}/v1/sessions/{}/live", backend.server.base_url(), session.id);
    let response = http.get(url).bearer_auth(bearer).header("Accept", "text/event-stream").send().await.unwrap();
    assert_eq!(response.status(), 200);

    // Events keep coming for several idle timeouts: a response being sent is not idle.
    let mut stream = response.bytes_stream();
    let until = tokio::time::Instant::now() + OUTLAST;
    while tokio::time::Instant::now() < until {
        let chunk = tokio::time::timeout(BOUND, stream.next()).await.expect("the stream goes on");
        assert!(chunk.is_some_and(|c| c.is_ok()), "the live stream was cut");
    }
    let chunk = tokio::time::timeout(BOUND, stream.next()).await.expect("the stream goes on");
    assert!(chunk.is_some_and(|c| c.is_ok()), "the live stream was cut");
    drop(stream);
    phone.stop_session(session.id.clone()).await.unwrap();
    charger.shutdown().await;
    backend.server.shutdown().await;
}
