//! Live sessions: one feed per watched session follows the backend's SSE stream (or, while
//! that is down, polls the session) into a `watch` channel and the cache; each observer gets
//! the current value at once and then every change.
//!
//! A listener is called on the blocking pool, never on the feed's task and never under a
//! lock, so a slow or panicking listener delays only its own updates: the watch channel keeps
//! just the newest state for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chargekit_model::Session;
use chargekit_model::api::ApiErrorCode;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::{Core, SessionSnapshot};
use crate::frames::Frames;
use crate::error::CoreError;

const RECONNECT_MIN: Duration = Duration::from_millis(500);
/// The fastest a smoothed display is redrawn (60 frames a second).
const MIN_FRAME: Duration = Duration::from_millis(16);
const RECONNECT_MAX: Duration = Duration::from_secs(15);
/// How often the session is read while its live stream is down: about a meter sample's pace.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

type Feed = watch::Sender<Option<Session>>;

#[derive(Default)]
pub struct LiveFeeds {
    feeds: Mutex<HashMap<String, Feed>>,
    /// Running observer tasks; see [`Core::active_observers`].
    observers: Arc<AtomicUsize>,
}

/// Counts an observer task while its future exists: dropped when the task ends or is
/// aborted, together with the listener it holds.
struct ObserverGuard(Arc<AtomicUsize>);

impl ObserverGuard {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for ObserverGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Core {
    /// Calls `deliver` with the session's current state (from the cache) at once, then with
    /// every change until the session is final or the returned task is aborted.
    ///
    /// With a `frame` interval, the display is also smoothed ([`crate::frames`]): while
    /// charging, energy, time and cost move every frame between meter samples, the cost priced
    /// by the same engine as the bill; each state shows the server's cost exactly, and a final
    /// state is the bill.
    pub fn observe(
        self: &Arc<Self>,
        session_id: &str,
        frame: Option<Duration>,
        deliver: impl Fn(SessionSnapshot) + Send + Sync + 'static,
    ) -> JoinHandle<()> {
        let mut updates = self.feed(session_id);
        let deliver = Arc::new(deliver);
        let core = self.clone();
        let guard = ObserverGuard::new(&self.live.observers);
        self.runtime.spawn(async move {
            let _counted = guard;
            let mut display = frame.map(Display::new);
            let mut delivered: Option<SessionSnapshot> = None;
            loop {
                // Clone and release the channel's lock before calling out.
                let current = updates.borrow_and_update().clone();
                if let Some(session) = current {
                    let shown = match display.as_mut() {
                        Some(display) => display.show(session),
                        None => session,
                    };
                    let snapshot = core.snapshot(shown);
                    let is_final = snapshot.is_final();
                    // "Then every change": a wake-up without a change delivers nothing.
                    if delivered.as_ref() != Some(&snapshot) {
                        delivered = Some(snapshot.clone());
                        let deliver = deliver.clone();
                        if tokio::task::spawn_blocking(move || deliver(snapshot)).await.is_err() {
                            tracing::warn!("a session listener panicked; it keeps receiving updates");
                        }
                    }
                    if is_final {
                        break;
                    }
                }
                let open = match display.as_mut() {
                    Some(display) => tokio::select! {
                        changed = updates.changed() => changed.is_ok(),
                        _ = display.ticker.tick() => true,
                    },
                    None => updates.changed().await.is_ok(),
                };
                if !open {
                    break;
                }
            }
        })
    }

    /// Observer tasks still running (each holds its listener).
    pub fn active_observers(&self) -> usize {
        self.live.observers.load(Ordering::SeqCst)
    }

    /// Tells a session's observers to look again (its pending stop changed).
    pub(crate) fn touch(&self, session_id: &str) {
        if let Some(feed) = self.live.feeds.lock().expect("live feeds lock").get(session_id) {
            feed.send_modify(|_| {});
        }
    }

    /// Hands a state learnt outside the live stream (a command's answer) to the session's
    /// observers, if it is newer than what they have. Returns whether it was.
    pub(crate) fn publish(&self, session: &Session) -> bool {
        let feeds = self.live.feeds.lock().expect("live feeds lock");
        let Some(feed) = feeds.get(&session.id.to_string()) else { return false };
        offer(feed, session)
    }

    /// The feed of a session, started if nobody watches it yet.
    fn feed(self: &Arc<Self>, session_id: &str) -> watch::Receiver<Option<Session>> {
        let mut feeds = self.live.feeds.lock().expect("live feeds lock");
        if let Some(feed) = feeds.get(session_id) {
            return feed.subscribe();
        }
        let cached = self.cache.get(session_id).ok().flatten();
        let (sender, receiver) = watch::channel(cached);
        feeds.insert(session_id.to_owned(), sender.clone());
        self.runtime.spawn(follow(self.clone(), session_id.to_owned(), sender));
        receiver
    }
}

/// Follows the SSE stream until the session is final, nobody watches any more, or the backend
/// says the session is not ours. When the stream breaks or cannot be opened (a proxy that
/// blocks or buffers event streams, a flaky network), the session is polled while the stream
/// is retried with backoff and `Last-Event-ID`, so the display never freezes for long.
async fn follow(core: Arc<Core>, session_id: String, feed: Feed) {
    let mut backoff = RECONNECT_MIN;
    loop {
        if feed.borrow().as_ref().is_some_and(|s| s.status.is_final()) {
            break;
        }
        let outcome = tokio::select! {
            outcome = stream_once(&core, &session_id, &feed) => outcome,
            _ = feed.closed() => break,
        };
        match outcome {
            Ok(true) => break,
            Ok(false) => backoff = RECONNECT_MIN,
            Err(e) if ends_the_feed(&e) => break,
            Err(e) => tracing::debug!(error = %e, %session_id, "live stream interrupted"),
        }
        let retry_stream_at = tokio::time::Instant::now() + backoff;
        let polled = tokio::select! {
            polled = poll_until(&core, &session_id, &feed, retry_stream_at) => polled,
            _ = feed.closed() => break,
        };
        if matches!(polled, Ok(true)) || polled.as_ref().is_err_and(ends_the_feed) {
            break;
        }
        backoff = (backoff * 2).min(RECONNECT_MAX);
    }
    let mut feeds = core.live.feeds.lock().expect("live feeds lock");
    if feeds.get(&session_id).is_some_and(|f| f.same_channel(&feed)) {
        feeds.remove(&session_id);
    }
}

/// Errors after which following the session is pointless.
fn ends_the_feed(error: &CoreError) -> bool {
    matches!(error, CoreError::NotSignedIn)
        || matches!(error, CoreError::Api(e) if matches!(e.code, ApiErrorCode::NotFound | ApiErrorCode::Unauthorized))
}

/// The fallback while the stream is down: reads the session now and every [`POLL_INTERVAL`]
/// until `until`. `Ok(true)` when the session reached its final state. A failed read (no
/// network either) is not an error here: the stream retry comes next anyway.
async fn poll_until(core: &Core, session_id: &str, feed: &Feed, until: tokio::time::Instant) -> Result<bool, CoreError> {
    loop {
        match core.authed(|token| async move { core.client.session(&token, session_id).await }).await {
            Ok(session) => {
                core.cache.put(&session)?;
                core.session_changed(&session);
                offer(feed, &session);
                if session.status.is_final() {
                    return Ok(true);
                }
            }
            Err(e) if ends_the_feed(&e) => return Err(e),
            Err(e) => tracing::debug!(error = %e, %session_id, "polling the session failed"),
        }
        let next = tokio::time::Instant::now() + POLL_INTERVAL;
        if next >= until {
            tokio::time::sleep_until(until).await;
            return Ok(false);
        }
        tokio::time::sleep_until(next).await;
    }
}

/// One connection of the live stream. `Ok(true)` when the session reached its final state.
async fn stream_once(core: &Core, session_id: &str, feed: &Feed) -> Result<bool, CoreError> {
    let last_version = feed.borrow().as_ref().map(|s| s.version);
    let events = core.authed(|token| async move { core.client.live_events(&token, session_id, last_version).await }).await?;
    let mut events = Box::pin(events);
    while let Some(event) = events.next().await {
        let session = event?;
        let is_final = session.status.is_final();
        core.cache.put(&session)?;
        core.session_changed(&session);
        offer(feed, &session);
        if is_final {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Puts `session` in the feed if it is newer than what the feed holds (states can arrive out of
/// order: the live stream and a command's answer race). Returns whether it was.
fn offer(feed: &Feed, session: &Session) -> bool {
    feed.send_if_modified(|current| {
        let newer = current.as_ref().is_none_or(|c| session.version > c.version);
        if newer {
            *current = Some(session.clone());
        }
        newer
    })
}

/// The smoothed display of one observer: its frame clock and its view ([`Frames`]), fed
/// with every new state of the session.
struct Display {
    ticker: tokio::time::Interval,
    clock: tokio::time::Instant,
    frames: Frames,
}

impl Display {
    fn new(frame: Duration) -> Self {
        let mut ticker = tokio::time::interval(frame.max(MIN_FRAME));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Self { ticker, clock: tokio::time::Instant::now(), frames: Frames::default() }
    }

    fn show(&mut self, session: Session) -> Session {
        let now_ms = i64::try_from(self.clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.frames.show(session, now_ms)
    }
}
