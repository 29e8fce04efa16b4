//! `chargekit serve` and `chargekit report` as an operator runs them: real processes with their
//! own data directory and working directory, stopped by real signals.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chargekit_tests::raw_charger::RawCharger;
use serde_json::json;

const CHARGER_ID: &str = "CKPROC-0001";

/// A directory laid out as an operator's machine: a home with its data directory, a folder for
/// the config file and another one the server is started from.
struct Machine {
    root: tempfile::TempDir,
}

impl Machine {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("temporary directory");
        for dir in ["home", "data", "etc", "cwd"] {
            std::fs::create_dir(root.path().join(dir)).expect("directory");
        }
        Self { root }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// Where `serve` and `report` keep the database unless told otherwise.
    fn default_database(&self) -> PathBuf {
        self.path("data/chargekit/chargekit.db")
    }

    /// Writes `etc/server.json` with `extra` keys over a loopback bind and one unauthenticated charger.
    fn config(&self, extra: serde_json::Value) -> PathBuf {
        let mut config = json!({
            "bind": "127.0.0.1:0",
            "chargers": [{"charge_point_id": CHARGER_ID, "security_profile": 0, "evses": [{"connector_id": 1, "evse_id": "DE*CKP*E0001*1"}]}],
        });
        config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let path = self.path("etc/server.json");
        std::fs::write(&path, config.to_string()).expect("config written");
        path
    }

    fn chargekit(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chargekit"));
        command
            .args(args)
            .current_dir(self.path("cwd"))
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1");
        // The usual umask, whatever the test runner's: the server must make its files private
        // itself.
        // SAFETY: umask is async-signal-safe and touches nothing of the parent process.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
        command
    }

    fn serve(&self, config: &Path) -> Server {
        let mut child = self
            .chargekit(&["serve", "--config", config.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chargekit serve starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).expect("a first line");
        let Some(addr) = first.trim().strip_prefix("listening on ") else {
            let _ = child.wait();
            panic!("the server did not start: {first:?}; its log:\n{}", log.lock().unwrap());
        };
        Server { addr: addr.to_owned(), child, log }
    }

    fn report(&self, args: &[&str]) -> Output {
        self.chargekit(&[&["report"], args].concat()).output().expect("chargekit report runs")
    }
}

struct Server {
    addr: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn ocpp_url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// Sends `signal` and waits (at most 20 s) for the process to end; returns whether it
    /// exited successfully, and its log.
    fn stop_with(mut self, signal: libc::c_int) -> (bool, String) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "signal sent");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("process state") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not stop within 20 s of the signal; its log:\n{}", self.log.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The log thread reads to the end of the pipe, which the exit closed.
        std::thread::sleep(Duration::from_millis(100));
        (status.success(), self.log.lock().unwrap().clone())
    }
}

#[test]
fn a_config_without_a_database_keeps_it_where_report_reads() {
    let machine = Machine::new();
    let config = machine.config(json!({}));
    let server = machine.serve(&config);
    let (clean, log) = server.stop_with(libc::SIGTERM);
    assert!(clean, "serve ends cleanly; its log:\n{log}");

    assert!(machine.default_database().exists(), "the database is in the data directory");
    assert!(!machine.path("cwd/chargekit.db").exists(), "no database in the directory serve was started from");
    for args in [&["revenue", "--format", "json"][..], &["revenue", "--format", "json", "--config", config.to_str().unwrap()]] {
        let report = machine.report(args);
        assert!(report.status.success(), "report {args:?} reads serve's database: {}", String::from_utf8_lossy(&report.stderr));
        let figures: serde_json::Value = serde_json::from_slice(&report.stdout).expect("the report as JSON");
        assert!(figures["revenue"]["rows"].is_array(), "a revenue report: {figures}");
    }
}

#[test]
fn a_relative_database_is_read_from_the_config_files_directory() {
    let machine = Machine::new();
    let config = machine.config(json!({"database": "db/server.db"}));
    let (clean, log) = machine.serve(&config).stop_with(libc::SIGTERM);
    assert!(clean, "serve ends cleanly; its log:\n{log}");
    assert!(machine.path("etc/db/server.db").exists(), "the database is next to the config");
    let report = machine.report(&["revenue", "--format", "json", "--config", config.to_str().unwrap()]);
    assert!(report.status.success(), "report --config finds it: {}", String::from_utf8_lossy(&report.stderr));
}

#[test]
fn a_database_that_cannot_be_opened_is_named() {
    let machine = Machine::new();
    // A directory where the file should be: SQLite cannot open it.
    let database = machine.path("etc/occupied.db");
    std::fs::create_dir(&database).expect("directory");
    let config = machine.config(json!({"database": database}));
    let output = machine.chargekit(&["serve", "--config", config.to_str().unwrap()]).output().expect("serve runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "serve refuses to start");
    assert!(stderr.contains(database.to_str().unwrap()), "the error names the database file: {stderr}");

    let missing = machine.path("etc/missing.db");
    let report = machine.report(&["--database", missing.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(!report.status.success());
    assert!(stderr.contains(missing.to_str().unwrap()), "report names the file it looked for: {stderr}");
}

/// Ctrl-C (SIGINT) and a service manager's SIGTERM both end the server the same clean way:
/// chargers get a close frame, their disconnection is recorded, and nothing is logged as an error.
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_closes_charger_sockets_and_records_the_disconnection() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let machine = Machine::new();
        let config = machine.config(json!({}));
        let server = machine.serve(&config);
        let mut charger = RawCharger::connect(&server.ocpp_url(), CHARGER_ID).await;
        let boot = charger.call("BootNotification", json!({"chargePointVendor": "Proc", "chargePointModel": "Signal"})).await;
        assert_eq!(boot["status"], "Accepted");

        let stopped = tokio::task::spawn_blocking(move || server.stop_with(signal));
        let (code, reason) = charger.expect_close().await;
        assert_eq!(code, 1001, "going away, because the server stops (signal {signal}): {reason}");
        let (clean, log) = stopped.await.unwrap();
        assert!(clean, "serve exits successfully on signal {signal}; its log:\n{log}");
        assert!(!log.contains("ERROR"), "nothing is logged as an error at signal {signal}:\n{log}");

        // The next start finds the connection closed, not left open by a crash.
        let again = machine.serve(&config);
        let (_, log) = again.stop_with(libc::SIGTERM);
        assert!(log.contains("ChargeKit server listening"), "the second server started:\n{log}");
        assert!(!log.contains("without closing charger connections"), "the disconnection was recorded at signal {signal}:\n{log}");
    }
}

const OPERATOR_PASSWORD: &str = "a long operator password";

/// A charger's new AuthorizationKey, as an operator sends it with ChangeConfiguration.
const NEW_AUTHORIZATION_KEY: &str = "9f8e7d6c5b4a39281706";

/// What a charge point id with a line break in it would write into the log as a line of its own.
const FORGED_LINE: &str = "2026-12-03T00:00:00.000000Z  INFO chargekit_server: operator ops signed in";

/// Operator commands are logged, but the secret a ChangeConfiguration carries is not; and a
/// charge point id cannot write a line of its own into the log: its control characters are
/// refused at the door.
#[tokio::test(flavor = "multi_thread")]
async fn the_log_shows_no_charger_secret_and_no_line_forged_by_a_charge_point_id() {
    let machine = Machine::new();
    let config = machine.config(json!({"operators": [{"username": "ops", "password": OPERATOR_PASSWORD}]}));
    let server = machine.serve(&config);
    let base = format!("http://{}", server.addr);
    let mut charger = RawCharger::connect(&server.ocpp_url(), CHARGER_ID).await;
    charger.call("Heartbeat", json!({})).await;

    let http = chargekit_tests::http_client();
    let signed_in = http.post(format!("{base}/v1/operator/sign-in")).json(&json!({"username": "ops", "password": OPERATOR_PASSWORD})).send().await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let token = signed_in.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let command = json!({"action": "ChangeConfiguration", "payload": {"key": "AuthorizationKey", "value": NEW_AUTHORIZATION_KEY}});
    let url = format!("{base}/v1/operator/chargers/{CHARGER_ID}/commands");
    let request = tokio::spawn(http.post(url).bearer_auth(&token).json(&command).send());
    let (id, action, payload) = charger.expect_call().await;
    assert_eq!((action.as_str(), &payload["value"]), ("ChangeConfiguration", &json!(NEW_AUTHORIZATION_KEY)), "the charger gets its new key");
    charger.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    assert_eq!(request.await.unwrap().unwrap().status(), 200);

    let forged_id = format!("CKPROC-9999%0A{}", FORGED_LINE.replace(' ', "%20"));
    let refused = chargekit_tests::raw_charger::open(&format!("{}/{forged_id}", server.ocpp_url()), Some("ocpp1.6")).await;
    let refusal = refused.err().map(|e| e.to_string()).unwrap_or_default();
    charger.close().await;

    let (clean, log) = tokio::task::spawn_blocking(move || server.stop_with(libc::SIGTERM)).await.unwrap();
    assert!(clean, "serve ends cleanly; its log:\n{log}");
    let logged = log.lines().find(|line| line.contains("operator command")).unwrap_or_else(|| panic!("the command is logged:\n{log}"));
    assert!(logged.contains("AuthorizationKey") && logged.contains("[redacted]"), "the log says which key changed, not to what: {logged}");
    assert!(!log.contains(NEW_AUTHORIZATION_KEY), "the new AuthorizationKey is in the log:\n{log}");
    assert!(!log.lines().any(|line| line.starts_with(FORGED_LINE)), "a charge point id wrote a line into the log:\n{log}");
    assert!(refusal.contains("400"), "a charge point id with a line break is refused with 400: {refusal:?}");
}

/// The database holds the receipt signing key: its file (and the `-wal` and `-shm` files beside
/// it) are for the server's user only, and so is the directory `serve` creates for it.
#[test]
fn the_database_and_its_directory_are_private_to_the_servers_user() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777;
    let machine = Machine::new();
    let server = machine.serve(&machine.config(json!({})));
    let database = machine.default_database();
    let directory = database.parent().unwrap();
    let modes: Vec<(String, u32)> = [database.clone(), database.with_extension("db-wal"), database.with_extension("db-shm")]
        .iter()
        .map(|file| (file.display().to_string(), mode(file)))
        .collect();
    let directory_mode = mode(directory);
    let (clean, log) = server.stop_with(libc::SIGTERM);
    assert!(clean, "serve ends cleanly; its log:\n{log}");
    for (file, mode) in modes {
        assert_eq!(mode, 0o600, "{file} is {mode:o}");
    }
    assert_eq!(directory_mode, 0o700, "{} is {directory_mode:o}", directory.display());
}
