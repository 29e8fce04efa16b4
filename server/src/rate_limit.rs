//! Attempts per key (an email, an operator name, a client address) in a sliding window: past
//! the limit, further attempts are refused until the oldest leaves the window. In memory: a
//! restart forgets, which costs an attacker a restart they cannot cause.
//!
//! An attempt is *reserved* before the work it limits (a password check, a hash): the check and
//! the record are one step under the lock, so parallel requests cannot all pass the check before
//! any of them is recorded. A sign-in that succeeds gives its reservation back.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::PasswordHashing;
use crate::config::ServerConfig;

/// Keys tracked before old ones are swept, so a flood of distinct keys cannot grow memory
/// without bound.
const SWEEP_ABOVE: usize = 10_000;

/// Failed sign-ins allowed per email (or operator name), and per client address, in
/// [`SIGN_IN_WINDOW`]. Per address, because credential stuffing tries many emails from one place.
const SIGN_IN_FAILURES_PER_NAME: usize = 5;
const SIGN_IN_FAILURES_PER_ADDRESS: usize = 50;
const SIGN_IN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Everything that bounds the work an anonymous client can make the account endpoints do.
pub struct AccountLimits {
    sign_in_by_email: RateLimiter,
    sign_in_by_address: RateLimiter,
    operator_sign_in_by_name: RateLimiter,
    operator_sign_in_by_address: RateLimiter,
    registrations_by_address: RateLimiter,
    /// Argon2 work running at once (register, sign-in, operator sign-in).
    pub password_hashing: PasswordHashing,
}

impl AccountLimits {
    pub fn new(config: &ServerConfig) -> Self {
        let sign_in = |limit| RateLimiter::new(limit, SIGN_IN_WINDOW);
        Self {
            sign_in_by_email: sign_in(SIGN_IN_FAILURES_PER_NAME),
            sign_in_by_address: sign_in(SIGN_IN_FAILURES_PER_ADDRESS),
            operator_sign_in_by_name: sign_in(SIGN_IN_FAILURES_PER_NAME),
            operator_sign_in_by_address: sign_in(SIGN_IN_FAILURES_PER_ADDRESS),
            registrations_by_address: RateLimiter::new(config.registrations_per_address, config.registration_window),
            password_hashing: PasswordHashing::for_this_machine(),
        }
    }

    /// Reserves a driver's sign-in attempt (on its normalized email and its address), or
    /// `Err(wait)` past either limit.
    pub fn reserve_sign_in(&self, email: &str, client: IpAddr) -> Result<SignInAttempt<'_>, Duration> {
        SignInAttempt::reserve((&self.sign_in_by_email, format!("email:{email}")), (&self.sign_in_by_address, format!("ip:{client}")))
    }

    /// Reserves an operator's sign-in attempt; limited apart from the drivers' sign-ins.
    pub fn reserve_operator_sign_in(&self, username: &str, client: IpAddr) -> Result<SignInAttempt<'_>, Duration> {
        SignInAttempt::reserve(
            (&self.operator_sign_in_by_name, format!("operator:{username}")),
            (&self.operator_sign_in_by_address, format!("ip:{client}")),
        )
    }

    /// Counts a registration from `client`, or `Err(wait)` past `registrations_per_address`.
    /// Every registration counts, accepted or not: each costs a hash.
    pub fn reserve_registration(&self, client: IpAddr) -> Result<(), Duration> {
        self.registrations_by_address.reserve(&format!("ip:{client}")).map(drop)
    }
}

/// A sign-in attempt reserved against its name's and its address's limits. It counts as a
/// failure unless [`SignInAttempt::succeeded`] is called (an error on the way is a failure too).
pub struct SignInAttempt<'a> {
    by_name: (&'a RateLimiter, String),
    by_address: (&'a RateLimiter, String, Reservation),
}

impl<'a> SignInAttempt<'a> {
    fn reserve(by_name: (&'a RateLimiter, String), by_address: (&'a RateLimiter, String)) -> Result<Self, Duration> {
        let name_reservation = by_name.0.reserve(&by_name.1)?;
        match by_address.0.reserve(&by_address.1) {
            Ok(reservation) => Ok(Self { by_name, by_address: (by_address.0, by_address.1, reservation) }),
            Err(wait) => {
                by_name.0.release(&by_name.1, name_reservation);
                Err(wait)
            }
        }
    }

    /// The password was right: the name's failures are forgotten (a driver who finally
    /// remembered it), and this attempt does not count against the address.
    pub fn succeeded(self) {
        self.by_name.0.clear(&self.by_name.1);
        let (limiter, key, reservation) = self.by_address;
        limiter.release(&key, reservation);
    }
}

/// One attempt taken by [`RateLimiter::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation(Instant);

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self { limit, window, attempts: Mutex::default() }
    }

    /// Takes one of `key`'s attempts in the window, or `Err(wait)` while they are used up.
    pub fn reserve(&self, key: &str) -> Result<Reservation, Duration> {
        self.reserve_at(key, Instant::now())
    }

    /// Gives a reserved attempt back: it does not count.
    pub fn release(&self, key: &str, reservation: Reservation) {
        let mut attempts = self.attempts.lock().expect("rate limiter lock");
        if let Some(times) = attempts.get_mut(key) {
            if let Some(at) = times.iter().rposition(|&t| t == reservation.0) {
                times.remove(at);
            }
            if times.is_empty() {
                attempts.remove(key);
            }
        }
    }

    /// Forgets every attempt of `key`.
    pub fn clear(&self, key: &str) {
        self.attempts.lock().expect("rate limiter lock").remove(key);
    }

    fn reserve_at(&self, key: &str, now: Instant) -> Result<Reservation, Duration> {
        let mut attempts = self.attempts.lock().expect("rate limiter lock");
        if attempts.len() >= SWEEP_ABOVE {
            attempts.retain(|_, times| {
                prune(times, now, self.window);
                !times.is_empty()
            });
        }
        let times = attempts.entry(key.to_owned()).or_default();
        prune(times, now, self.window);
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now - oldest);
            if times.is_empty() {
                attempts.remove(key);
            }
            return Err(wait);
        }
        times.push_back(now);
        Ok(Reservation(now))
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
            assert!(limiter.reserve_at("a", start + Duration::from_secs(i)).is_ok());
        }
        let wait = limiter.reserve_at("a", start + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(50), "until the first attempt is a minute old");
        assert!(limiter.reserve_at("b", start + Duration::from_secs(10)).is_ok(), "keys are separate");
        assert!(limiter.reserve_at("a", start + Duration::from_secs(60)).is_ok());
        limiter.clear("a");
        assert!(limiter.reserve_at("a", start + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn a_released_attempt_does_not_count() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let first = limiter.reserve("a").unwrap();
        limiter.reserve("a").unwrap();
        assert!(limiter.reserve("a").is_err());
        limiter.release("a", first);
        assert!(limiter.reserve("a").is_ok(), "the released attempt is free again");
        assert!(limiter.reserve("a").is_err());
    }

    #[test]
    fn parallel_reservations_never_pass_the_limit() {
        let limiter = RateLimiter::new(5, Duration::from_secs(60));
        let granted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    if limiter.reserve("a").is_ok() {
                        granted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(granted.into_inner(), 5);
    }

    #[test]
    fn a_sign_in_refused_per_address_gives_the_name_its_attempt_back() {
        let by_name = RateLimiter::new(5, Duration::from_secs(60));
        let by_address = RateLimiter::new(1, Duration::from_secs(60));
        SignInAttempt::reserve((&by_name, "n".into()), (&by_address, "ip".into())).unwrap();
        assert!(SignInAttempt::reserve((&by_name, "n".into()), (&by_address, "ip".into())).is_err());
        assert_eq!(by_name.attempts.lock().unwrap()["n"].len(), 1, "only the attempt that went through counts");
    }

    #[test]
    fn many_keys_are_swept() {
        let limiter = RateLimiter::new(1, Duration::from_secs(1));
        let start = Instant::now();
        for i in 0..SWEEP_ABOVE + 10 {
            let _ = limiter.reserve_at(&format!("k{i}"), start);
        }
        let _ = limiter.reserve_at("late", start + Duration::from_secs(2));
        assert!(limiter.attempts.lock().unwrap().len() <= 11, "expired keys were dropped");
    }
}
