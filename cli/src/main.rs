//! `chargekit`: the whole journey on one machine (`demo`), or its halves (`serve`, `sim`).

mod demo;
mod display;
mod report;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use chargekit_server::ServerConfig;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "chargekit", version, about = "Charge an electric car from your phone — the ChargeKit toolkit.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole journey: a backend, a simulated charger and a driver on the app core.
    Demo(demo::DemoArgs),
    /// Runs the backend: driver API and OCPP 1.6J central system.
    Serve(ServeArgs),
    /// Runs simulated OCPP 1.6J charge points against a backend.
    Sim(chargekit_sim::SimArgs),
    /// Prints the operator reports (revenue, charger performance, authentication) from a
    /// server's database file.
    Report(report::ReportArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A JSON server config (bind, database, chargers, tariff); flags below override it.
    /// Without one, the server binds to loopback and seeds CKSIM-0001 and CKSIM-0001-1 …
    /// CKSIM-0001-5 on security profile 0 (no authentication) for the local `chargekit sim`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8180].
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Directory for the SQLite database [default: $XDG_DATA_HOME/chargekit or ~/.local/share/chargekit].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => {
            init_logging("warn");
            demo::run(args).await
        }
        Command::Serve(args) => {
            init_logging("info");
            serve(args).await
        }
        Command::Report(args) => {
            init_logging("warn");
            report::run(args, default_data_dir().join("chargekit.db")).await
        }
        Command::Sim(args) => {
            init_logging("info");
            let count = args.count as usize;
            chargekit_sim::run(args.to_config(), count, ctrl_c()).await.map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chargekit: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    raise_open_file_limit();
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if args.config.is_none() || args.data_dir.is_some() {
        let dir = args.data_dir.unwrap_or_else(default_data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        config.database = dir.join("chargekit.db");
    }
    let server = chargekit_server::start(config).await.map_err(|e| e.to_string())?;
    // Printed on stdout so scripts and test peers can find the port when binding to :0.
    println!("listening on {}", server.addr());
    ctrl_c().await;
    server.shutdown().await;
    Ok(())
}

/// Raises the soft open-file limit to the hard limit. Every charger connection is a socket, and
/// the usual soft limit (often 1,024) would cap a server at about a thousand chargers with
/// "Too many open files" while the system allows far more. A failure is only logged: the server
/// still runs, with fewer connections possible. (The load harness needs the same call, so it
/// lives in the simulator crate.)
fn raise_open_file_limit() {
    if let Err(error) = chargekit_sim::load::raise_open_file_limit() {
        tracing::warn!(%error, "cannot raise the open-file limit; fewer chargers can connect");
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("chargekit");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/chargekit"),
        None => PathBuf::from("chargekit-data"),
    }
}

async fn ctrl_c() {
    // If the signal cannot be watched, run until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
