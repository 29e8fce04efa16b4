//! What a simulated charge point is: where it connects, what it reports and how it behaves.

use std::time::Duration;

use crate::curve::CarProfile;
use crate::error::SimError;
use crate::signing::MeterKey;

/// Longest meter interval accepted; far beyond any real one, and far from `Instant` overflow.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// How the charge point answers `RemoteStartTransaction` on a free connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemoteStartBehavior {
    /// Accept and start a transaction, like a healthy charge point.
    #[default]
    Accept,
    /// Answer `Rejected`, like a charge point that refuses remote starts.
    Reject,
    /// Answer `Accepted` but never send `StartTransaction`, like a charge point whose cable was
    /// never plugged in. Lets the server's "remote start timed out" path be tested.
    AcceptButNeverStart,
}

/// How a charge point reconnects after its connection drops: after `initial`, then twice as
/// long after each failed attempt up to `max`, each wait shortened by a random part of up to
/// half (jitter), so a fleet that lost its server together does not come back in one burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 30 s at most.
    fn default() -> Self {
        Self { initial: Duration::from_secs(1), max: Duration::from_secs(30) }
    }
}

impl Backoff {
    /// The wait after `delay`: doubled, at most `max`.
    pub fn next(&self, delay: Duration) -> Duration {
        delay.saturating_mul(2).min(self.max)
    }

    /// `delay` less a random part of up to half of it.
    pub fn jittered(delay: Duration) -> Duration {
        // A v4 UUID is 122 random bits from the OS; no random-number crate needed for this.
        let random = (uuid::Uuid::new_v4().as_u128() as u64) as f64 / u64::MAX as f64;
        delay.mul_f64(1.0 - random / 2.0)
    }
}

/// Configuration of one simulated charge point. Build it with [`SimConfig::new`] and adjust the
/// public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The central system's OCPP endpoint, e.g. `ws://127.0.0.1:8180/ocpp`; the charge point id
    /// is appended as a path segment.
    pub server_url: String,
    /// The charge point identity, also the Basic auth user name.
    pub charge_point_id: String,
    /// Number of connectors, numbered from 1 (default 1).
    pub connectors: u32,
    /// How often a charging connector sends MeterValues (default 5 s).
    pub meter_interval: Duration,
    /// The car plugged in at every remote start.
    pub car: CarProfile,
    /// Meter register of every connector at boot, in Wh (default 1 000 000, so that `meterStart`
    /// is not zero and a server that confuses "register" with "energy" is caught).
    pub initial_meter_wh: i64,
    pub remote_start: RemoteStartBehavior,
    /// When set, the WebSocket handshake carries HTTP Basic auth with the charge point id as user
    /// (OCPP 1.6 security profile 1).
    pub basic_auth_password: Option<String>,
    /// `chargePointVendor` of the BootNotification.
    pub vendor: String,
    /// `chargePointModel` of the BootNotification.
    pub model: String,
    /// How long an outgoing CALL (and the WebSocket handshake) may wait for its answer
    /// (default 30 s).
    pub call_timeout: Duration,
    /// When set, the meter signs each transaction's begin and end (OCMF, Eichrecht) with this
    /// key and sends them as `SignedData` sampled values: the begin in the transaction's first
    /// MeterValues, the end in StopTransaction's `transactionData`. Default: not signed.
    pub signed_meter_values: Option<MeterKey>,
    /// When set, the charge point is AC on this many phases (1 to 3) at 230 V line to neutral and
    /// reports `Current.Import` per phase (`L1`, `L2`, `L3`, in A) next to the power, the way an
    /// AC wallbox does. Default: not reported (a DC charger).
    pub ac_phases: Option<u32>,
    /// When set, a charge point whose connection drops (the server restarted, the network
    /// failed) reconnects with this backoff, boots again (BootNotification, StatusNotification
    /// of every connector) and carries on: running transactions continue, and their messages
    /// (StartTransaction, MeterValues, StopTransaction) wait for the new connection. A server
    /// that refuses the charge point ([`SimError::is_permanent`]) ends the retrying. Default:
    /// not set, the charge point ends with its connection (`chargekit sim` sets
    /// [`Backoff::default`]).
    pub reconnect: Option<Backoff>,
}

impl SimConfig {
    /// A configuration with the defaults documented on each field.
    pub fn new(server_url: impl Into<String>, charge_point_id: impl Into<String>) -> Self {
        Self {
            server_url: server_url.into(),
            charge_point_id: charge_point_id.into(),
            connectors: 1,
            meter_interval: Duration::from_secs(5),
            car: CarProfile::default(),
            initial_meter_wh: 1_000_000,
            remote_start: RemoteStartBehavior::Accept,
            basic_auth_password: None,
            vendor: "ChargeKit".to_owned(),
            model: "CKSIM".to_owned(),
            call_timeout: Duration::from_secs(30),
            signed_meter_values: None,
            ac_phases: None,
            reconnect: None,
        }
    }

    /// The WebSocket URL of this charge point: `{server_url}/{charge_point_id}`.
    pub fn endpoint(&self) -> String {
        format!("{}/{}", self.server_url.trim_end_matches('/'), self.charge_point_id)
    }

    /// Rejects configurations that could not work, before anything touches the network.
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let invalid = |why: String| Err(SimError::InvalidConfig(why));
        let id = &self.charge_point_id;
        if id.is_empty() {
            return invalid("the charge point id is empty".to_owned());
        }
        // The id becomes one URL path segment; keep to characters that need no escaping.
        if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || "-_.~:*@".contains(*c))) {
            return invalid(format!("the charge point id {id:?} contains {c:?}, which cannot go into a URL path segment"));
        }
        if self.connectors == 0 {
            return invalid("a charge point needs at least one connector".to_owned());
        }
        if self.meter_interval.is_zero() {
            return invalid("the meter interval must be longer than zero".to_owned());
        }
        if self.meter_interval > MAX_INTERVAL {
            return invalid(format!("the meter interval must be at most {MAX_INTERVAL:?}"));
        }
        if self.call_timeout.is_zero() {
            return invalid("the call timeout must be longer than zero".to_owned());
        }
        if self.ac_phases.is_some_and(|n| !(1..=3).contains(&n)) {
            return invalid("an AC charge point has 1, 2 or 3 phases".to_owned());
        }
        if let Some(backoff) = self.reconnect
            && (backoff.initial.is_zero() || backoff.max < backoff.initial || backoff.max > MAX_INTERVAL)
        {
            return invalid(format!("the reconnect backoff must start above zero and end at most {MAX_INTERVAL:?}, not below its start"));
        }
        if self.initial_meter_wh < 0 {
            return invalid("the initial meter register cannot be negative".to_owned());
        }
        // BootNotification's CiString20Type: a central system refuses longer ones.
        for (field, value) in [("vendor", &self.vendor), ("model", &self.model)] {
            if value.chars().count() > 20 {
                return invalid(format!("the {field} {value:?} is longer than the 20 characters OCPP 1.6 allows"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = SimConfig::new("ws://127.0.0.1:8180/ocpp", "CP-1");
        assert_eq!(config.connectors, 1);
        assert_eq!(config.meter_interval, Duration::from_secs(5));
        assert_eq!(config.initial_meter_wh, 1_000_000);
        assert_eq!(config.remote_start, RemoteStartBehavior::Accept);
        assert_eq!(config.basic_auth_password, None);
        assert_eq!(config.call_timeout, Duration::from_secs(30));
        assert_eq!(config.signed_meter_values, None);
        assert_eq!(config.reconnect, None);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn backoff_doubles_to_its_maximum_and_jitter_only_shortens() {
        let backoff = Backoff::default();
        let waits: Vec<_> = std::iter::successors(Some(backoff.initial), |d| Some(backoff.next(*d))).take(7).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30].map(Duration::from_secs));
        for _ in 0..100 {
            let wait = Backoff::jittered(Duration::from_secs(8));
            assert!(wait >= Duration::from_secs(4) && wait <= Duration::from_secs(8), "{wait:?}");
        }
    }

    #[test]
    fn endpoint_appends_the_id_once() {
        assert_eq!(SimConfig::new("ws://h/ocpp", "CP-1").endpoint(), "ws://h/ocpp/CP-1");
        assert_eq!(SimConfig::new("ws://h/ocpp/", "CP-1").endpoint(), "ws://h/ocpp/CP-1");
    }

    #[test]
    fn rejects_unusable_configurations() {
        let base = SimConfig::new("ws://h/ocpp", "CP-1");
        for broken in [
            SimConfig { charge_point_id: String::new(), ..base.clone() },
            SimConfig { charge_point_id: "a/b".to_owned(), ..base.clone() },
            SimConfig { charge_point_id: "a b".to_owned(), ..base.clone() },
            SimConfig { connectors: 0, ..base.clone() },
            SimConfig { ac_phases: Some(0), ..base.clone() },
            SimConfig { ac_phases: Some(4), ..base.clone() },
            SimConfig { meter_interval: Duration::ZERO, ..base.clone() },
            SimConfig { meter_interval: Duration::MAX, ..base.clone() },
            SimConfig { call_timeout: Duration::ZERO, ..base.clone() },
            SimConfig { initial_meter_wh: -1, ..base.clone() },
            SimConfig { reconnect: Some(Backoff { initial: Duration::ZERO, max: Duration::from_secs(1) }), ..base.clone() },
            SimConfig { reconnect: Some(Backoff { initial: Duration::from_secs(2), max: Duration::from_secs(1) }), ..base.clone() },
            SimConfig { vendor: "V".repeat(21), ..base.clone() },
            SimConfig { model: "M".repeat(21), ..base.clone() },
        ] {
            assert!(matches!(broken.validate(), Err(SimError::InvalidConfig(_))), "{broken:?}");
        }
    }
}
