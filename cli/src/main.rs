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
    /// A JSON server config (bind, database, chargers, tariff; comments allowed, see
    /// docs/examples/server.json); flags below override it. Without one, the server binds to
    /// loopback and seeds CKSIM-0001 and CKSIM-0001-1 … CKSIM-0001-5 on security profile 0 (no
    /// authentication) for the local `chargekit sim`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8180].
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Directory for the SQLite database, over the config's `database` [default: the config's
    /// `database`, else $XDG_DATA_HOME/chargekit or ~/.local/share/chargekit].
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
            report::run(args).await
        }
        Command::Sim(args) => {
            init_logging("info");
            let count = args.count as usize;
            chargekit_sim::run(args.to_config(), count, stop_signal()).await.map_err(|e| e.to_string())
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
    if let Some(dir) = args.data_dir {
        config.database = dir.join(chargekit_server::config::DATABASE_FILE);
    }
    if let Some(dir) = config.database.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| format!("cannot create the database directory {}: {e}", dir.display()))?;
    }
    // Watched from before the "listening" line: a signal sent as soon as the port is known
    // must stop the server cleanly too, not kill it.
    let stop = stop_signal();
    let server = chargekit_server::start(config).await.map_err(|e| e.to_string())?;
    // Printed on stdout so scripts and test peers can find the port when binding to :0.
    println!("listening on {}", server.addr());
    stop.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

/// Creates the database's directory (and any missing parent) for its owner only (0700): the
/// database holds the receipt signing key. An existing directory is left as it is.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
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

/// Ctrl-C (SIGINT) from a terminal, or SIGTERM from a service manager or container runtime:
/// either one stops the server the same clean way. Both are watched from this call on; the
/// future returned ends at the first.
fn stop_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "cannot watch for SIGTERM and SIGINT; the server stops only when killed");
                std::future::pending::<()>().await;
            }
        }
    }
}


fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
