//! The server as its own process, for the durability test (`tests/tests/server_durability.rs`),
//! which SIGKILLs it mid-session: `durable_server CONFIG.json` prints `listening on ADDR` once
//! it accepts connections, then serves until killed.

use std::io::Write;

#[tokio::main]
async fn main() {
    let path = std::env::args().nth(1).expect("usage: durable_server CONFIG.json");
    let config = chargekit_server::ServerConfig::from_file(std::path::Path::new(&path)).expect("a server config");
    let server = chargekit_server::start(config).await.expect("the server starts");
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", server.addr()).and_then(|_| out.flush()).expect("stdout");
    drop(out);
    std::future::pending::<()>().await;
}
