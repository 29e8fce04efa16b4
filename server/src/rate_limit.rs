//! Failed sign-in attempts per key (an email, a client address) in a sliding window: past the
//! limit, further attempts are refused until the oldest failure leaves the window. In memory:
//! a restart forgets, which costs an attacker a restart they cannot cause.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked before old ones are swept, so a flood of distinct keys cannot grow memory
/// without bound.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self { limit, window, failures: Mutex::default() }
    }

    /// `Err(wait)` while `key` has used up its failures in the window.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn record_failure(&self, key: &str) {
        self.record_failure_at(key, Instant::now());
    }

    /// A success forgets the key's failures (a driver who finally remembered their password).
    pub fn clear(&self, key: &str) {
        self.failures.lock().expect("rate limiter lock").remove(key);
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().expect("rate limiter lock");
        let Some(times) = failures.get_mut(key) else { return Ok(()) };
        prune(times, now, self.window);
        match times.front() {
            Some(&oldest) if times.len() >= self.limit => Err(self.window.saturating_sub(now - oldest)),
            _ => Ok(()),
        }
    }

    fn record_failure_at(&self, key: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("rate limiter lock");
        if failures.len() >= SWEEP_ABOVE {
            failures.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        let times = failures.entry(key.to_owned()).or_default();
        prune(times, now, self.window);
        times.push_back(now);
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times.front().is_some_and(|&t| now - t >= window) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_moves_on() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..3 {
            assert!(limiter.check_at("a", start + Duration::from_secs(i)).is_ok());
            limiter.record_failure_at("a", start + Duration::from_secs(i));
        }
        let wait = limiter.check_at("a", start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50), "until the first failure is a minute old");
        assert!(limiter.check_at("b", start + Duration::from_secs(10)).is_ok(), "keys are separate");
        assert!(limiter.check_at("a", start + Duration::from_secs(60)).is_ok());
        limiter.clear("a");
        assert!(limiter.check_at("a", start + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn many_keys_are_swept() {
        let limiter = RateLimiter::new(1, Duration::from_secs(1));
        let start = Instant::now();
        for i in 0..SWEEP_ABOVE + 10 {
            limiter.record_failure_at(&format!("k{i}"), start);
        }
        limiter.record_failure_at("late", start + Duration::from_secs(2));
        assert!(limiter.failures.lock().unwrap().len() <= 11, "expired keys were dropped");
    }
}
