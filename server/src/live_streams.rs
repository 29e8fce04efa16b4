//! The live streams open right now, by the sign-in that opened them: a stream must not outlive
//! its sign-in, and streams are capped, per driver and in total, because each one holds a
//! connection and a task for as long as the client wants.
//!
//! Opening a stream takes a [`StreamPermit`]; dropping it (the stream ended, or its client went
//! away and the body was dropped) frees the place. [`LiveStreams::revoke_sign_in`] ends every
//! stream of a revoked sign-in (sign-out, a reused refresh token) through the permit's
//! cancellation token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chargekit_model::api::ApiErrorCode;
use tokio_util::sync::CancellationToken;

use crate::error::AppError;

/// What a client refused for a full cap is told to wait before trying again, in seconds: streams
/// end at no announced time, and a minute is about how long an app keeps a screen open.
pub const RETRY_AFTER_SECS: u64 = 60;

/// The registry of open streams; see the module documentation.
pub struct LiveStreams {
    per_driver: usize,
    total: usize,
    open: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_driver: HashMap<String, usize>,
    /// The cancellation token of each open stream, by sign-in family and stream number.
    by_sign_in: HashMap<String, HashMap<u64, CancellationToken>>,
    next_stream: u64,
}

/// One open stream's place. The stream selects on [`StreamPermit::revoked`]; dropping the
/// permit frees the place.
pub struct StreamPermit {
    open: Arc<Mutex<Open>>,
    driver_id: String,
    family_id: String,
    stream: u64,
    revoked: CancellationToken,
}

impl LiveStreams {
    pub fn new(per_driver: usize, total: usize) -> Self {
        Self { per_driver, total, open: Arc::default() }
    }

    /// Takes a place for a stream of `driver_id` opened with an access token of the sign-in
    /// `family_id`, or refuses with 429 when the driver's or the server's cap is reached.
    pub fn open(&self, driver_id: &str, family_id: &str) -> Result<StreamPermit, AppError> {
        let mut open = self.open.lock().expect("live streams lock");
        let of_driver = open.by_driver.get(driver_id).copied().unwrap_or(0);
        if of_driver >= self.per_driver {
            return Err(too_many(format!(
                "You have {} live streams open, the most one account may have. Close one (an app screen showing a \
                 session) or try again later.",
                self.per_driver
            )));
        }
        if open.total >= self.total {
            return Err(too_many(format!(
                "The server has {} live streams open, the most it serves at once. Read the session with GET \
                 /v1/sessions/{{id}} meanwhile, and try the stream again later.",
                self.total
            )));
        }
        open.total += 1;
        *open.by_driver.entry(driver_id.to_owned()).or_default() += 1;
        let stream = open.next_stream;
        open.next_stream += 1;
        let revoked = CancellationToken::new();
        open.by_sign_in.entry(family_id.to_owned()).or_default().insert(stream, revoked.clone());
        Ok(StreamPermit {
            open: self.open.clone(),
            driver_id: driver_id.to_owned(),
            family_id: family_id.to_owned(),
            stream,
            revoked,
        })
    }

    /// Ends every open stream of the sign-in `family_id`. Call it after the sign-in is revoked
    /// in the store: a stream opened meanwhile checks its token once registered, so none slips
    /// through between the two.
    pub fn revoke_sign_in(&self, family_id: &str) {
        let open = self.open.lock().expect("live streams lock");
        for token in open.by_sign_in.get(family_id).into_iter().flat_map(HashMap::values) {
            token.cancel();
        }
    }

    /// Streams open right now.
    #[cfg(test)]
    fn count(&self) -> usize {
        self.open.lock().expect("live streams lock").total
    }
}

impl StreamPermit {
    /// Resolves once the stream's sign-in is revoked.
    pub async fn revoked(&self) {
        self.revoked.cancelled().await;
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("live streams lock");
        open.total -= 1;
        if let Some(count) = open.by_driver.get_mut(&self.driver_id) {
            *count -= 1;
            if *count == 0 {
                open.by_driver.remove(&self.driver_id);
            }
        }
        if let Some(streams) = open.by_sign_in.get_mut(&self.family_id) {
            streams.remove(&self.stream);
            if streams.is_empty() {
                open.by_sign_in.remove(&self.family_id);
            }
        }
    }
}

fn too_many(message: String) -> AppError {
    let mut error = AppError::new(StatusCode::TOO_MANY_REQUESTS, ApiErrorCode::RateLimited, message);
    error.retry_after = Some(RETRY_AFTER_SECS);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_driver_and_in_total_and_dropped_permits_free_their_place() {
        let streams = LiveStreams::new(2, 3);
        let a1 = streams.open("a", "fa").unwrap();
        let _a2 = streams.open("a", "fa").unwrap();
        let refused = streams.open("a", "fa2").err().unwrap();
        assert_eq!((refused.status, refused.retry_after), (StatusCode::TOO_MANY_REQUESTS, Some(RETRY_AFTER_SECS)));
        assert!(refused.message.contains('2'), "{}", refused.message);
        let _b1 = streams.open("b", "fb").unwrap();
        let total = streams.open("b", "fb").err().unwrap();
        assert!(total.message.contains('3'), "{}", total.message);
        drop(a1);
        assert_eq!(streams.count(), 2);
        let _b2 = streams.open("b", "fb").unwrap();
        assert_eq!(streams.count(), 3);
    }

    #[tokio::test]
    async fn revoking_a_sign_in_ends_its_streams_only() {
        let streams = LiveStreams::new(8, 8);
        let mine = streams.open("a", "phone").unwrap();
        let also_mine = streams.open("a", "phone").unwrap();
        let other = streams.open("a", "tablet").unwrap();
        streams.revoke_sign_in("phone");
        mine.revoked().await;
        also_mine.revoked().await;
        assert!(!other.revoked.is_cancelled());
        drop((mine, also_mine));
        streams.revoke_sign_in("phone");
        assert!(!other.revoked.is_cancelled());
        assert_eq!(streams.count(), 1);
    }
}
