//! The server as a separate process (`durable_server`, started by the durability tests), so
//! that it can be SIGKILLed as a crash or an OOM kill would end it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct ServerProcess {
    child: Child,
    /// Where it listens, `127.0.0.1:PORT`.
    pub addr: String,
}

impl ServerProcess {
    /// Starts `binary` (a test's `env!("CARGO_BIN_EXE_durable_server")`) on `config` and
    /// waits for its `listening on ADDR` line.
    pub fn start(binary: &str, config: &Path) -> Self {
        let mut child = Command::new(binary).arg(config).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("server process starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_owned();
        Self { child, addr }
    }

    /// SIGKILL: no shutdown code runs, as in a crash or an OOM kill.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("server reaped");
    }
}
