//! Command-line flags of a simulator run, shared by the `chargekit-sim` binary and any other
//! command that embeds the simulator (flatten [`SimArgs`] into a clap parser).

use std::time::Duration;

use crate::config::{Backoff, SimConfig};
use crate::curve::PowerCurve;
use crate::signing::MeterKey;

/// Flags describing the charge points to simulate.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct SimArgs {
    /// OCPP endpoint of the central system; the charge point id is appended as a path segment.
    #[arg(long, default_value = "ws://127.0.0.1:8180/ocpp")]
    pub url: String,
    /// Charge point id; with --count above 1 the ids are ID-1, ID-2, …
    #[arg(long, default_value = "CKSIM-0001")]
    pub id: String,
    /// Number of charge points to simulate.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub count: u32,
    /// Connectors per charge point.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub connectors: u32,
    /// Seconds between MeterValues of a charging connector.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub interval_secs: u64,
    /// Charge at this constant power (kW) instead of the default DC curve (150 kW tapering to 20 kW).
    #[arg(long, value_parser = parse_power_kw)]
    pub power_kw: Option<u32>,
    /// HTTP Basic auth password (user = charge point id), for servers that require one.
    #[arg(long)]
    pub password: Option<String>,
    /// Sign each transaction's begin and end meter values (OCMF), with a new P-256 key per
    /// charge point; its public key is logged at connect.
    #[arg(long)]
    pub signed_meter_values: bool,
}

impl SimArgs {
    /// The configuration these flags describe (for a single charge point with id `--id`).
    pub fn to_config(&self) -> SimConfig {
        let mut config = SimConfig::new(self.url.clone(), self.id.clone());
        config.connectors = self.connectors;
        config.meter_interval = Duration::from_secs(self.interval_secs);
        config.basic_auth_password = self.password.clone();
        config.signed_meter_values = self.signed_meter_values.then_some(MeterKey::Generate);
        // A charge point left running by hand comes back after a server restart, as real ones do.
        config.reconnect = Some(Backoff::default());
        if let Some(watts) = self.power_kw {
            config.car.curve = PowerCurve::constant(watts);
        }
        config
    }
}

/// Reads a power in kW (decimals allowed, e.g. `7.4`) as whole watts.
fn parse_power_kw(text: &str) -> Result<u32, String> {
    let kw: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number of kW"))?;
    if !(kw.is_finite() && kw > 0.0 && kw <= 4_000_000.0) {
        return Err(format!("power must be above 0 and at most 4 000 000 kW, not {text}"));
    }
    Ok((kw * 1000.0).round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let cli = Cli::try_parse_from(["sim"]).unwrap();
        assert_eq!(cli.sim.url, "ws://127.0.0.1:8180/ocpp");
        assert_eq!(cli.sim.id, "CKSIM-0001");
        assert_eq!(cli.sim.count, 1);
        let config = cli.sim.to_config();
        assert_eq!(config.endpoint(), "ws://127.0.0.1:8180/ocpp/CKSIM-0001");
        assert_eq!(config.meter_interval, Duration::from_secs(5));
        assert_eq!(config.car.curve, PowerCurve::dc_fast());
        assert_eq!(config.signed_meter_values, None);
        assert_eq!(config.reconnect, Some(Backoff::default()));
    }

    #[test]
    fn flags_shape_the_config() {
        let cli = Cli::try_parse_from([
            "sim", "--url", "ws://h:1/ocpp", "--id", "X", "--count", "3", "--connectors", "2",
            "--interval-secs", "10", "--power-kw", "7.4", "--password", "pw", "--signed-meter-values",
        ])
        .unwrap();
        assert_eq!(cli.sim.count, 3);
        let config = cli.sim.to_config();
        assert_eq!(config.connectors, 2);
        assert_eq!(config.meter_interval, Duration::from_secs(10));
        assert_eq!(config.car.curve, PowerCurve::constant(7_400));
        assert_eq!(config.basic_auth_password.as_deref(), Some("pw"));
        assert_eq!(config.signed_meter_values, Some(MeterKey::Generate));
    }

    #[test]
    fn rejects_nonsense() {
        for args in [
            &["sim", "--power-kw", "0"][..],
            &["sim", "--power-kw", "-3"],
            &["sim", "--power-kw", "NaN"],
            &["sim", "--interval-secs", "0"],
            &["sim", "--count", "0"],
            &["sim", "--connectors", "0"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
