//! Serving HTTP/1.1 connections with limits, so that slow or idle clients cannot pile up:
//!
//! - **Header-read timeout**: from the moment a connection is accepted (the TLS handshake
//!   included), or a keep-alive connection's next request starts arriving, the request head
//!   must be complete within [`Limits::header_read_timeout`]; otherwise the connection is
//!   closed without an answer.
//! - **Idle timeout**: a connection with no request in flight is closed after
//!   [`Limits::idle_timeout`]. A request is in flight from its head until its response body
//!   has been sent, so a long response (a live SSE stream) is never idle.
//! - **Connection cap**: at most [`Limits::max_connections`] connections per listener. One over
//!   the cap is answered `503` with a JSON error and `Retry-After: 1` and closed (plain HTTP),
//!   or closed at once (TLS: answering would need the handshake the cap is there to spare).
//!   A connection upgraded to a WebSocket (a charger) gives its slot back: chargers stay
//!   connected for days and are bounded by who may connect as one, not by this cap.
//!
//! Shutdown: on the token, the listener stops accepting, each connection finishes the
//! request in flight and closes, and [`serve`] returns when they all have.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The limits of one listener (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits; zero would refuse every client, so it is refused at start.
    pub fn of(config: &crate::ServerConfig) -> Result<Self, String> {
        let limits = Self {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
        };
        if limits.header_read_timeout.is_zero() || limits.idle_timeout.is_zero() || limits.max_connections == 0 {
            return Err("header_read_timeout_secs, idle_timeout_secs and max_connections must be at least 1".into());
        }
        Ok(limits)
    }
}

/// How long a refused connection is kept open to let the client read its 503: closing a
/// socket with unread input resets it, and the client could lose the answer.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// Refusals being answered at once; beyond that a refused connection is closed at once, so
/// that a flood of connections does not turn into a flood of lingering ones.
const REFUSALS_ANSWERED: usize = 64;

/// Turns an accepted TCP connection into the stream HTTP is served over.
pub trait Handshake: Clone + Send + Sync + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Whether a connection over the cap hears a plain-text `503` (not over TLS).
    const ANSWERS_REFUSALS: bool;
    fn handshake(&self, tcp: TcpStream) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// Plain HTTP: the TCP stream as it is.
#[derive(Clone, Copy)]
pub struct Plain;

impl Handshake for Plain {
    type Io = TcpStream;
    const ANSWERS_REFUSALS: bool = true;
    async fn handshake(&self, tcp: TcpStream) -> io::Result<TcpStream> {
        Ok(tcp)
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown`, then waits for the
/// connections to finish their requests in flight. Each request carries the client's
/// [`ConnectInfo<SocketAddr>`].
pub async fn serve<H: Handshake>(listener: TcpListener, handshake: H, app: Router, limits: Limits, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_ANSWERED));
    let connections = TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, max_connections = limits.max_connections, "connection refused: the listener is full");
            if let (true, Ok(answering)) = (H::ANSWERS_REFUSALS, refusals.clone().try_acquire_owned()) {
                tokio::spawn(refuse(tcp, answering));
            }
            continue;
        };
        let connection = Connection { peer, limits, activity: Arc::new(Activity::new()), shutdown: shutdown.clone() };
        connections.spawn(connection.serve(tcp, handshake.clone(), app.clone(), slot));
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// The answer to a connection over the cap, in the driver API's error shape.
fn refusal_response() -> Vec<u8> {
    let body = serde_json::json!({
        "code": chargekit_model::api::ApiErrorCode::RateLimited,
        "message": "The server has as many connections open as it allows (max_connections). Retry in a moment, and reuse one connection for several requests.",
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers 503, then reads (and drops) what the client sends until it closes or
/// [`REFUSAL_LINGER`] passes.
async fn refuse(mut tcp: TcpStream, _answering: OwnedSemaphorePermit) {
    let answered = async {
        tcp.write_all(&refusal_response()).await?;
        tcp.shutdown().await?;
        let mut sink = [0; 1024];
        while tcp.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_LINGER, answered).await;
}

struct Connection {
    peer: SocketAddr,
    limits: Limits,
    activity: Arc<Activity>,
    shutdown: CancellationToken,
}

/// Why a connection's time ran out.
enum Expired {
    HeaderRead,
    Idle,
}

impl Connection {
    /// Serves one connection while holding its `slot`; the slot is given back when the
    /// connection closes or is upgraded (hyper hands the upgraded stream over and returns).
    async fn serve<H: Handshake>(self, tcp: TcpStream, handshake: H, app: Router, _slot: OwnedSemaphorePermit) {
        let peer = self.peer;
        let io = tokio::select! {
            io = tokio::time::timeout(self.limits.header_read_timeout, handshake.handshake(tcp)) => match io {
                Ok(Ok(io)) => io,
                Ok(Err(e)) => return tracing::info!(%peer, error = %e, "handshake failed"),
                Err(_) => return tracing::info!(%peer, "handshake timed out"),
            },
            _ = self.shutdown.cancelled() => return,
        };
        let io = TokioIo::new(Watched { io, activity: self.activity.clone() });
        let service = Service { app, peer, activity: self.activity.clone() };
        // The header-read timeout is ours (hyper's would also run between keep-alive requests).
        let connection = http1::Builder::new().header_read_timeout(None).serve_connection(io, service).with_upgrades();
        tokio::pin!(connection);
        let mut closing = false;
        loop {
            let changed = self.activity.changed.notified();
            let expiry = self.activity.expiry(&self.limits);
            let expires = async {
                match expiry {
                    Some((at, _)) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = self.shutdown.cancelled(), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                _ = changed => {}
                _ = expires => match expiry.map(|(_, why)| why) {
                    Some(Expired::HeaderRead) => return tracing::debug!(%peer, "request head not received in time: connection closed"),
                    Some(Expired::Idle) if !closing => {
                        tracing::debug!(%peer, "idle connection closed");
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    // Closing, and still nothing to finish: let it go.
                    _ => return,
                },
            }
        }
    }
}

/// What a connection is doing, for its timers.
struct Activity {
    state: Mutex<ActivityState>,
    /// Woken when the state changes, so the timers are re-armed.
    changed: Notify,
}

struct ActivityState {
    /// Requests whose response has not been sent yet.
    in_flight: usize,
    /// When the last request finished (or the connection opened).
    idle_since: Instant,
    /// When the head being read started to arrive, while no request is in flight.
    head_since: Option<Instant>,
}

impl Activity {
    fn new() -> Self {
        let now = Instant::now();
        // A new connection owes its first request head from the start (a client that
        // connects and sends nothing is a slow header).
        let state = ActivityState { in_flight: 0, idle_since: now, head_since: Some(now) };
        Self { state: Mutex::new(state), changed: Notify::new() }
    }

    fn update(&self, change: impl FnOnce(&mut ActivityState)) {
        change(&mut self.state.lock().expect("activity lock"));
        self.changed.notify_one();
    }

    /// When the next timer runs out, if one is running (none while a request is in flight).
    fn expiry(&self, limits: &Limits) -> Option<(Instant, Expired)> {
        let state = self.state.lock().expect("activity lock");
        if state.in_flight > 0 {
            return None;
        }
        let idle = (state.idle_since + limits.idle_timeout, Expired::Idle);
        match state.head_since.map(|since| since + limits.header_read_timeout) {
            Some(head) if head <= idle.0 => Some((head, Expired::HeaderRead)),
            _ => Some(idle),
        }
    }

    /// Bytes arrived: if no request is in flight, they start the next request head.
    fn read_some(&self) {
        let mut state = self.state.lock().expect("activity lock");
        if state.in_flight == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }
}

/// The connection's stream, telling [`Activity`] when bytes arrive.
struct Watched<Io> {
    io: Io,
    activity: Arc<Activity>,
}

impl<Io: AsyncRead + Unpin> AsyncRead for Watched<Io> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Watched<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A request in flight: counted from its head until its response body is done or dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.update(|state| {
            state.in_flight += 1;
            state.head_since = None;
        });
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|state| {
            state.in_flight -= 1;
            state.idle_since = Instant::now();
        });
    }
}

/// The router as hyper calls it, with the client address and the in-flight count.
#[derive(Clone)]
struct Service {
    app: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response<InFlightBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::start(self.activity.clone());
        // What `into_make_service_with_connect_info` gives: the sign-in limits per address.
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let mut app = self.app.clone();
        Box::pin(async move {
            let response = tower_service::Service::call(&mut app, request.map(Body::new)).await?;
            Ok(response.map(|body| InFlightBody { body, in_flight: Some(in_flight) }))
        })
    }
}

/// A response body that ends its request's time in flight when it ends.
struct InFlightBody {
    body: Body,
    in_flight: Option<InFlight>,
}

impl HttpBody for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
