//! `chargekit-load`: how many charger connections one ChargeKit server holds, and how fast it
//! answers them.
//!
//! Starts `chargekit serve` as a separate process with a fresh database seeding the load
//! chargers, connects them (a bounded number at a time), measures a steady state of MeterValues
//! and Heartbeats, and reports the CALL → CALLRESULT latencies with the server's resident memory
//! and CPU. With `--url`, it loads a server that is already running instead (which must know
//! the chargers `LOAD-00001` …; its memory and CPU are read when `--server-pid` names it).
//!
//! ```sh
//! cargo build --release -p chargekit-cli -p chargekit-sim
//! target/release/chargekit-load --connections 10000
//! ```

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chargekit_sim::load::stats::ms;
use chargekit_sim::load::{LoadConfig, LoadReport, LoadRun, ServerProcess, process, raise_open_file_limit};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// File descriptors the client needs besides its sockets (stdio, the runtime, the log).
const SPARE_FDS: u64 = 64;

/// Kinds of server log lines shown at the end, most frequent first.
const LOG_KINDS_SHOWN: usize = 10;

#[derive(Debug, Parser)]
#[command(name = "chargekit-load", version, about = "Load a ChargeKit server with many OCPP 1.6J charger connections")]
struct Cli {
    /// Charger connections to open and hold.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    connections: u32,
    /// Seconds of steady state measured after every connection is set up.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    hold_secs: u64,
    /// Seconds between two MeterValues of one charger.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    interval_secs: u64,
    /// Connections being set up (handshake, boot, status) at the same time, at most.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    ramp_concurrency: u32,
    /// Heartbeat interval the started server tells chargers at boot, in seconds.
    #[arg(long, default_value_t = 60)]
    heartbeat_secs: u32,
    /// Seconds a CALL may wait for its answer.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    call_timeout_secs: u64,
    /// The `chargekit` binary to run as the server [default: `chargekit` beside this binary].
    #[arg(long, conflicts_with = "url")]
    server_bin: Option<PathBuf>,
    /// Load an already running server at this OCPP URL instead of starting one.
    #[arg(long)]
    url: Option<String>,
    /// With `--url`: the process id of that server, to read its memory and CPU (a peer
    /// implementation measured beside ChargeKit, say).
    #[arg(long, requires = "url")]
    server_pid: Option<u32>,
    /// Seconds the started server may take to seed the chargers and listen.
    #[arg(long, default_value_t = 900)]
    startup_secs: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chargekit-load: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let connections = cli.connections as usize;
    // Raised before the server starts, so it inherits the raised limit too.
    match raise_open_file_limit() {
        Ok(Some(limit)) if limit < connections as u64 + SPARE_FDS => eprintln!(
            "warning: the open-file limit is {limit} (hard limit reached); connections above about {} will fail with \
             \"Too many open files\" in the client and in the server",
            limit.saturating_sub(SPARE_FDS)
        ),
        Ok(_) => {}
        Err(error) => eprintln!("warning: cannot raise the open-file limit: {error}"),
    }
    let mut config = LoadConfig::new(cli.url.clone().unwrap_or_default(), connections);
    config.ramp_concurrency = cli.ramp_concurrency as usize;
    config.meter_interval = Duration::from_secs(cli.interval_secs);
    config.hold = Duration::from_secs(cli.hold_secs);
    config.call_timeout = Duration::from_secs(cli.call_timeout_secs);

    let server = match &cli.url {
        Some(_) => None,
        None => {
            let binary = match cli.server_bin.clone() {
                Some(binary) => binary,
                None => sibling_server_binary()?,
            };
            eprintln!("starting {} serve, seeding {connections} chargers …", binary.display());
            let started = std::time::Instant::now();
            let startup = Duration::from_secs(cli.startup_secs);
            let server = ServerProcess::start(&binary, config.charge_point_ids(), cli.heartbeat_secs, startup)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("server pid {} listening on {} after {:.1} s", server.pid(), server.addr(), started.elapsed().as_secs_f64());
            config.server_url = server.ocpp_url();
            Some(server)
        }
    };
    let outcome = measure(&cli, config, server.as_ref()).await;
    if let Some(server) = server {
        let kinds = server.log_summary();
        if !kinds.is_empty() {
            eprintln!("the server logged (warnings and errors, by kind):");
            for (kind, count) in kinds.iter().take(LOG_KINDS_SHOWN) {
                eprintln!("  {count:>7} × {kind}");
            }
        }
        server.stop(Duration::from_secs(10)).await;
    }
    let (report, figures) = outcome?;
    println!("{report}");
    println!("{figures}");
    println!();
    println!("| connections | held | calls offered | failed or unanswered | p50 | p99 | max | calls/s | server RSS | RSS per connection | server CPU | client CPU |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
        report.requested,
        report.held_at_end,
        report.offered_in_window,
        report.call_failure_count(),
        ms(report.steady.p50),
        ms(report.steady.p99),
        ms(report.steady.max),
        report.calls_per_second(),
        figures.server_rss_end.map_or("—".to_owned(), mib),
        figures.per_connection_kib(report.held_at_end).map_or("—".to_owned(), |kib| format!("{kib:.1} KiB")),
        figures.server_cpu.map_or("—".to_owned(), |total| match figures.server_cpu_split {
            Some((user, system)) => format!("{} (user {}, system {})", percent(total), percent(user), percent(system)),
            None => percent(total),
        }),
        figures.client_cpu.map_or("—".to_owned(), percent),
    );
    Ok(())
}

/// What the harness read about the processes, beside the load report.
#[derive(Debug, Default)]
struct Figures {
    /// Server RSS after seeding, before any charger connected (KiB).
    server_rss_idle: Option<u64>,
    /// Server RSS with every charger connected, before the window (KiB).
    server_rss_ramped: Option<u64>,
    /// Server RSS at the end of the window (KiB).
    server_rss_end: Option<u64>,
    client_rss_end: Option<u64>,
    /// CPU time over wall time during the window: 1.0 is one core busy.
    server_cpu: Option<f64>,
    /// The server's user and system shares of it.
    server_cpu_split: Option<(f64, f64)>,
    client_cpu: Option<f64>,
}

impl Figures {
    fn per_connection_kib(&self, held: u64) -> Option<f64> {
        let grown = self.server_rss_end?.checked_sub(self.server_rss_idle?)?;
        (held > 0).then(|| grown as f64 / held as f64)
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kib = |v: Option<u64>| v.map_or("—".to_owned(), |v| format!("{v} KiB"));
        let cpu = |v: Option<f64>| v.map_or("—".to_owned(), percent);
        writeln!(
            f,
            "server RSS: {} idle (seeded), {} all connected, {} at the end of the window",
            kib(self.server_rss_idle),
            kib(self.server_rss_ramped),
            kib(self.server_rss_end)
        )?;
        write!(
            f,
            "client RSS at the end: {}; CPU during the window (100 % = one core): server {}, client {}",
            kib(self.client_rss_end),
            cpu(self.server_cpu),
            cpu(self.client_cpu)
        )
    }
}

/// Ramps up, measures the window and stops, reading the processes between the steps.
async fn measure(cli: &Cli, config: LoadConfig, server: Option<&ServerProcess>) -> Result<(LoadReport, Figures), String> {
    let me = std::process::id();
    let server_pid = server.map(ServerProcess::pid).or(cli.server_pid);
    let mut figures = Figures { server_rss_idle: server_pid.and_then(process::rss_kib), ..Figures::default() };
    let hold = config.hold;
    let mut run = LoadRun::start(config).map_err(|e| e.to_string())?;
    let ramp = run.wait_ramped().await;
    eprintln!("ramp done in {:.1} s: {} connected; measuring {} s …", ramp.as_secs_f64(), run.connected_now(), cli.hold_secs);
    figures.server_rss_ramped = server_pid.and_then(process::rss_kib);

    let wall = std::time::Instant::now();
    let server_cpu = server_pid.and_then(process::cpu_times);
    let client_cpu = process::cpu_time(me);
    run.measure(hold).await;
    let elapsed = wall.elapsed().as_secs_f64();
    let share = |before: Option<Duration>, after: Option<Duration>| Some(after?.checked_sub(before?)?.as_secs_f64() / elapsed);
    let server_cpu_after = server_pid.and_then(process::cpu_times);
    let user = share(server_cpu.map(|t| t.0), server_cpu_after.map(|t| t.0));
    let system = share(server_cpu.map(|t| t.1), server_cpu_after.map(|t| t.1));
    figures.server_cpu = user.zip(system).map(|(u, s)| u + s);
    figures.server_cpu_split = user.zip(system);
    figures.client_cpu = share(client_cpu, process::cpu_time(me));
    figures.server_rss_end = server_pid.and_then(process::rss_kib);
    figures.client_rss_end = process::rss_kib(me);
    eprintln!("stopping {} connections …", run.connected_now());
    Ok((run.stop().await, figures))
}

/// `chargekit` in the directory of this binary: where cargo puts both.
fn sibling_server_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this binary's directory ({e}); pass --server-bin"))?;
    let name = format!("chargekit{}", std::env::consts::EXE_SUFFIX);
    Ok(me.with_file_name(name))
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}
