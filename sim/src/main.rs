//! `chargekit-sim`: simulated OCPP 1.6J charge points for trying the ChargeKit server by hand.
//! Runs until Ctrl-C; logs to stderr (`RUST_LOG` adjusts the level, default `info`).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use chargekit_sim::SimArgs;
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(name = "chargekit-sim", version, about = "Simulated OCPP 1.6J charge points")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C; stopping");
        }
    };
    // `--count` is at most 10 000, so it fits any usize.
    match chargekit_sim::run(cli.sim.to_config(), cli.sim.count as usize, ctrl_c).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "simulator failed");
            ExitCode::FAILURE
        }
    }
}
