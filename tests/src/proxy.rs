//! A TCP proxy between the core and the server that a test can break on purpose, to play what
//! a phone's network does in a car park: cut (every connection dropped, new ones refused),
//! delay (latency added to every chunk in both directions, without limiting throughput), and
//! event streams blocked (as by a proxy that refuses `text/event-stream`: a request for a live
//! stream gets `503`, everything else passes).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Faults {
    cut: bool,
    delay: Duration,
    block_event_streams: bool,
}

pub struct FaultProxy {
    addr: SocketAddr,
    faults: watch::Sender<Faults>,
    task: JoinHandle<()>,
    streams: Arc<StreamCounts>,
}

/// Requests for a live stream the proxy saw, so a test knows which path the updates took.
#[derive(Default)]
struct StreamCounts {
    passed: AtomicUsize,
    refused: AtomicUsize,
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let (faults, _) = watch::channel(Faults::default());
        let state = faults.clone();
        let streams = Arc::new(StreamCounts::default());
        let counts = streams.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if state.borrow().cut {
                    continue; // dropped: the connection is reset at once
                }
                tokio::spawn(forward(client, target, state.subscribe(), counts.clone()));
            }
        });
        Self { addr, faults, task, streams }
    }

    /// Live stream requests passed on to the server so far.
    pub fn streams_passed(&self) -> usize {
        self.streams.passed.load(Ordering::SeqCst)
    }

    /// Live stream requests refused so far.
    pub fn streams_refused(&self) -> usize {
        self.streams.refused.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.faults.send_modify(|f| f.cut = true);
    }

    pub fn restore(&self) {
        self.faults.send_modify(|f| f.cut = false);
    }

    /// Delays every chunk by `delay` in each direction from now on (zero: no delay).
    pub fn set_delay(&self, delay: Duration) {
        self.faults.send_modify(|f| f.delay = delay);
    }

    /// Answers requests for a live stream (`…/live`) with 503 while `blocked`; open streams
    /// are dropped when blocking starts.
    pub fn block_event_streams(&self, blocked: bool) {
        self.faults.send_modify(|f| f.block_event_streams = blocked);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

/// A chunk on its way, and when it may be delivered.
enum Chunk {
    Data(Instant, Vec<u8>),
    /// Written, then the connection is closed.
    Refusal(&'static [u8]),
}

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 29\r\nconnection: close\r\n\r\nEvent streams are not allowed";

async fn forward(client: TcpStream, target: SocketAddr, mut faults: watch::Receiver<Faults>, counts: Arc<StreamCounts>) {
    let Ok(upstream) = TcpStream::connect(target).await else { return };
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    let (to_server, to_server_rx) = mpsc::unbounded_channel();
    let (to_client, to_client_rx) = mpsc::unbounded_channel();
    let is_stream = watch::channel(false);
    // The connection is over once the client was sent everything it will get: the server's
    // side ended (its reader dropped the only strong sender) or a refusal was written.
    // Dropping the set then ends the other tasks.
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(read_requests(client_read, to_server, to_client.downgrade(), faults.clone(), is_stream.0, counts));
    tasks.spawn(read_chunks(upstream_read, to_client, faults.clone()));
    tasks.spawn(write_chunks(upstream_write, to_server_rx));
    let mut to_client_done = tokio::spawn(write_chunks(client_write, to_client_rx));
    let mut is_stream = is_stream.1;
    let mut blocking = faults.clone();
    tokio::select! {
        _ = &mut to_client_done => {}
        _ = faults.wait_for(|f| f.cut) => {}
        // A live stream open when blocking starts is dropped, as the blocking proxy would.
        _ = async {
            let _ = is_stream.wait_for(|open| *open).await;
            let _ = blocking.wait_for(|f| f.block_event_streams).await;
        } => {}
    }
    to_client_done.abort();
}

/// Client to server: passes requests on, or refuses a live stream while those are blocked.
async fn read_requests(
    mut from: OwnedReadHalf,
    to_server: mpsc::UnboundedSender<Chunk>,
    to_client: mpsc::WeakUnboundedSender<Chunk>,
    faults: watch::Receiver<Faults>,
    is_stream: watch::Sender<bool>,
    counts: Arc<StreamCounts>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let now = *faults.borrow();
        if asks_for_live_stream(chunk) {
            if now.block_event_streams {
                counts.refused.fetch_add(1, Ordering::SeqCst);
                if let Some(to_client) = to_client.upgrade() {
                    let _ = to_client.send(Chunk::Refusal(REFUSAL));
                }
                break;
            }
            counts.passed.fetch_add(1, Ordering::SeqCst);
            is_stream.send_replace(true);
        }
        if to_server.send(Chunk::Data(Instant::now() + now.delay, chunk.to_vec())).is_err() {
            break;
        }
    }
}

async fn read_chunks(mut from: OwnedReadHalf, to: mpsc::UnboundedSender<Chunk>, faults: watch::Receiver<Faults>) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        let delay = faults.borrow().delay;
        if n == 0 || to.send(Chunk::Data(Instant::now() + delay, buf[..n].to_vec())).is_err() {
            break;
        }
    }
}

/// Writes chunks in order, each no earlier than its time; closes the write side at the end.
async fn write_chunks(mut to: OwnedWriteHalf, mut chunks: mpsc::UnboundedReceiver<Chunk>) {
    while let Some(chunk) = chunks.recv().await {
        match chunk {
            Chunk::Data(at, bytes) => {
                tokio::time::sleep_until(at).await;
                if to.write_all(&bytes).await.is_err() {
                    break;
                }
            }
            Chunk::Refusal(bytes) => {
                let _ = to.write_all(bytes).await;
                break;
            }
        }
    }
    let _ = to.shutdown().await;
}

/// Whether an HTTP/1.1 request head asks for a session's live stream.
fn asks_for_live_stream(chunk: &[u8]) -> bool {
    let line_end = chunk.iter().position(|&b| b == b'\r').unwrap_or(chunk.len());
    let line = &chunk[..line_end];
    line.starts_with(b"GET ") && line.windows(b"/live ".len()).any(|w| w == b"/live ")
}
