//! The server under test as a separate process, so that its memory and CPU are its own: the
//! harness writes a config seeding the load chargers, runs `chargekit serve --config FILE`,
//! reads the address from its first stdout line (`listening on ADDR`), and reads its resident
//! memory and CPU time from `/proc/PID/` (Linux; elsewhere those figures are absent).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Why the server under test could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot prepare the server's config and database in a temporary directory: {0}")]
    Prepare(#[source] std::io::Error),
    #[error("cannot run the server binary {binary}: {source} (build it with `cargo build --release -p chargekit-cli`, or pass its path)")]
    Spawn {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the server did not print `listening on ADDR` within {waited:?}; its log ends with:\n{log_tail}")]
    NotListening { waited: Duration, log_tail: String },
    #[error("the server exited before listening; its log ends with:\n{log_tail}")]
    Exited { log_tail: String },
}

/// A running `chargekit serve`. Dropping it kills the process; [`ServerProcess::stop`] asks it
/// to shut down first.
pub struct ServerProcess {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    /// Holds the config, the database and the log; removed when the run ends.
    dir: tempfile::TempDir,
}

/// The server's log (stderr), in the run's temporary directory.
const LOG_FILE: &str = "server.log";

impl ServerProcess {
    /// Starts `binary serve --config FILE` on `127.0.0.1:0` with a fresh database seeding every
    /// charger of `charger_ids` (the `n`th with one EVSE, [`super::evse_id`]`(n)`), telling
    /// chargers to heartbeat every `heartbeat_secs`. Waits up to `startup` for it to listen
    /// (seeding many chargers takes a while).
    pub async fn start(
        binary: &Path,
        charger_ids: impl Iterator<Item = String>,
        heartbeat_secs: u32,
        startup: Duration,
    ) -> Result<Self, ProcessError> {
        let dir = tempfile::Builder::new().prefix("chargekit-load-").tempdir().map_err(ProcessError::Prepare)?;
        let config_path = dir.path().join("server.json");
        let config = server_config(dir.path(), charger_ids, heartbeat_secs);
        std::fs::write(&config_path, config.to_string()).map_err(ProcessError::Prepare)?;
        let log = std::fs::File::create(dir.path().join(LOG_FILE)).map_err(ProcessError::Prepare)?;

        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            // Warnings and errors only: a log line per connection would measure the logger.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ProcessError::Spawn { binary: binary.to_owned(), source })?;
        let pid = child.id().ok_or_else(|| ProcessError::Exited { log_tail: log_tail(dir.path()) })?;
        let Some(stdout) = child.stdout.take() else {
            return Err(ProcessError::Exited { log_tail: log_tail(dir.path()) });
        };
        let first_line = async { BufReader::new(stdout).lines().next_line().await };
        let addr = match tokio::time::timeout(startup, first_line).await {
            Err(_) => return Err(ProcessError::NotListening { waited: startup, log_tail: log_tail(dir.path()) }),
            Ok(Ok(Some(line))) => line.strip_prefix("listening on ").and_then(|addr| addr.trim().parse().ok()),
            Ok(_) => None,
        };
        let Some(addr) = addr else {
            return Err(ProcessError::Exited { log_tail: log_tail(dir.path()) });
        };
        Ok(Self { child, pid, addr, dir })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL chargers connect to, without the charge point id.
    pub fn ocpp_url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid)
    }

    /// CPU time used so far (user + system).
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.pid)
    }

    /// What the server logged (warnings and errors), grouped by kind (level, target and
    /// message, without timestamp and fields), most frequent first, with counts.
    pub fn log_summary(&self) -> Vec<(String, usize)> {
        let text = std::fs::read_to_string(self.dir.path().join(LOG_FILE)).unwrap_or_default();
        summarize_log(&text)
    }

    /// Sends SIGINT (what `chargekit serve` waits for) and waits up to `grace` for the exit;
    /// kills the process after that.
    pub async fn stop(mut self, grace: Duration) {
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(self.pid) {
            // SAFETY: kill only sends a signal, to the child we started and have not reaped.
            unsafe { libc::kill(pid, libc::SIGINT) };
        }
        if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// The `ServerConfig` JSON of `chargekit serve`: everything not named here keeps its default.
fn server_config(dir: &Path, charger_ids: impl Iterator<Item = String>, heartbeat_secs: u32) -> serde_json::Value {
    let chargers: Vec<_> = charger_ids
        .enumerate()
        .map(|(index, id)| json!({ "charge_point_id": id, "security_profile": 0, "evses": [{ "connector_id": 1, "evse_id": super::evse_id(index + 1) }] }))
        .collect();
    json!({
        "bind": "127.0.0.1:0",
        "database": dir.join("load.db").to_string_lossy(),
        "heartbeat_interval_secs": heartbeat_secs,
        "chargers": chargers,
    })
}

/// Groups log lines of tracing's default format (`TIMESTAMP LEVEL target: message key=value…`)
/// by everything between the timestamp and the first field.
fn summarize_log(text: &str) -> Vec<(String, usize)> {
    let mut kinds = std::collections::HashMap::<String, usize>::new();
    for line in text.lines().map(strip_ansi) {
        let without_time = line.split_once(' ').map_or(line.as_str(), |(_, rest)| rest).trim_start();
        let kind: Vec<&str> = without_time.split(' ').take_while(|word| !word.contains('=')).collect();
        *kinds.entry(kind.join(" ")).or_default() += 1;
    }
    let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    kinds
}

/// The text without terminal colour codes (`ESC [ … m`), which the server writes even to a file.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip to the end of the escape sequence.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn log_tail(dir: &Path) -> String {
    const LINES: usize = 10;
    let text = std::fs::read_to_string(dir.join(LOG_FILE)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}

/// `VmRSS` of a process, in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of a process (Linux `/proc/PID/stat`, fields 14 and 15).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    cpu_times(pid).map(|(user, system)| user + system)
}

/// User and system CPU time of a process, apart: the kernel's share is where disk syncs and
/// socket work show.
pub fn cpu_times(pid: u32) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `after_name` starts at field 3, so fields 14 and 15 are at 11 and 12.
    let per_second = clock_ticks_per_second()? as f64;
    let time = |field: usize| Some(Duration::from_secs_f64(fields.get(field)?.parse::<u64>().ok()? as f64 / per_second));
    Some((time(11)?, time(12)?))
}

fn clock_ticks_per_second() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads a system constant.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(ticks).ok().filter(|t| *t > 0)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_seeds_one_evse_per_charger() {
        let config = server_config(Path::new("d"), ["LOAD-00001".to_owned(), "LOAD-00002".to_owned()].into_iter(), 60);
        assert_eq!(config["bind"], "127.0.0.1:0");
        assert_eq!(config["heartbeat_interval_secs"], 60);
        assert_eq!(config["chargers"][1]["charge_point_id"], "LOAD-00002");
        assert_eq!(config["chargers"][1]["evses"][0]["evse_id"], "DE*LOD*E2*1");
    }

    #[test]
    fn log_lines_are_grouped_by_kind() {
        let log = "\u{1b}[2m2026-01-01T00:00:00Z\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m sqlx::pool::acquire: slow acquire \u{1b}[3macquired_after_secs\u{1b}[0m=2.1\n\
                   2026-01-01T00:00:01Z  WARN sqlx::pool::acquire: slow acquire acquired_after_secs=2.5\n\
                   2026-01-01T00:00:02Z ERROR chargekit_server::ocpp: cannot record error=busy\n";
        assert_eq!(
            summarize_log(log),
            vec![
                ("WARN sqlx::pool::acquire: slow acquire".to_owned(), 2),
                ("ERROR chargekit_server::ocpp: cannot record".to_owned(), 1)
            ]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_its_own_memory_and_cpu() {
        let me = std::process::id();
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
        assert!(cpu_time(me).is_some());
    }
}
