//! Crash safety of the core's store: a child process writes through the real encrypted cache
//! and outbox (sled) and is SIGKILLed at a random moment, 500 times. After every kill the store
//! must open, hold everything the child acknowledged, and read back without corruption.
//!
//! `CHARGEKIT_CRASH_RUNS` overrides the number of kills; the seed is printed to replay a run.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chargekit_core::cache::SessionCache;
use chargekit_core::store::SledStore;
use chargekit_core::crypto::CacheKey;
use chargekit_core::outbox::Outbox;
use chargekit_core::{MemorySecureStore, SecureStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Queued,
    Failed,
    Delivered,
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let runs: u64 = std::env::var("CHARGEKIT_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let seed = std::env::var("CHARGEKIT_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    println!("crash harness: {runs} kills, seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let mut random = seed;
    let mut next = move |bound: u64| {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random % bound
    };
    let mut sessions: HashMap<String, i64> = HashMap::new();
    let mut stops: HashMap<String, Stop> = HashMap::new();
    let mut acknowledged = 0usize;

    for run in 0..runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
            .arg(dir.path())
            .arg(next(u64::MAX - 1).max(1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the writer starts");
        // Every other run, anywhere from before sled is open to well into the writes; the
        // others, among the writes, however long opening took on a busy machine.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut output = String::new();
        if run % 2 == 1 {
            stdout.read_line(&mut output).unwrap();
            assert_eq!(output, "R\n", "run {run}: the writer did not open the store (seed {seed})");
        }
        std::thread::sleep(Duration::from_micros(next(40_000)));
        child.kill().expect("SIGKILL");
        stdout.read_to_string(&mut output).unwrap();
        let status = child.wait().unwrap();
        // The writer only ever stops by the kill; anything else (a panic) is a failure.
        assert_eq!(status.signal(), Some(9), "run {run}: the writer died by itself: {status} (seed {seed})");

        // Only complete lines are acknowledgements. After the last one, the child may have
        // been in the middle of the next write: for a stop just queued, that write (a failed
        // attempt, or its delivery) may or may not have happened.
        let complete = output.rfind('\n').map_or("", |end| &output[..end]);
        let in_flight = complete.lines().last().and_then(|l| l.strip_prefix("Q ")).map(str::to_owned);
        for line in complete.lines() {
            let mut parts = line.split(' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("S"), Some(id), Some(version)) => {
                    let version: i64 = version.parse().unwrap();
                    let known = sessions.entry(id.to_owned()).or_insert(version);
                    *known = (*known).max(version);
                }
                (Some("Q"), Some(id), None) => drop(stops.insert(id.to_owned(), Stop::Queued)),
                (Some("F"), Some(id), None) => drop(stops.insert(id.to_owned(), Stop::Failed)),
                (Some("D"), Some(id), None) => drop(stops.insert(id.to_owned(), Stop::Delivered)),
                (Some("R"), None, None) => {}
                _ => panic!("run {run}: unreadable acknowledgement {line:?} (seed {seed})"),
            }
            acknowledged += 1;
        }
        verify(dir.path(), &sessions, &mut stops, in_flight.as_deref(), run, seed);
    }
    println!("crash harness: {runs} kills, {acknowledged} acknowledged writes, all there");
    // Half the runs kill among the writes: a harness that saw none tested nothing.
    assert!(acknowledged > runs as usize / 2, "the writer hardly wrote: {acknowledged} acknowledgements in {runs} runs");
}

/// Opens the store the way the app does after a crash and checks it against what was acknowledged.
fn verify(dir: &std::path::Path, sessions: &HashMap<String, i64>, stops: &mut HashMap<String, Stop>, in_flight: Option<&str>, run: u64, seed: u64) {
    let Ok(key_bytes) = std::fs::read(dir.join("key")) else {
        assert!(sessions.is_empty() && stops.is_empty(), "run {run}: acknowledged writes but no key (seed {seed})");
        return;
    };
    let secrets = MemorySecureStore::new();
    secrets.set("chargekit.cache_key".into(), key_bytes).unwrap();
    let (key, created) = CacheKey::from_store(&secrets).unwrap();
    assert!(!created);
    let key = Arc::new(key);
    let store = SledStore::open(dir).unwrap_or_else(|e| panic!("run {run}: the store does not open after a kill: {e} (seed {seed})"));
    let store = Arc::new(store);
    let cache = SessionCache::new(store.clone(), key.clone());
    let outbox = Outbox::new(store, key);

    for (id, version) in sessions {
        let stored = cache.get(id).unwrap_or_else(|e| panic!("run {run}: session {id} unreadable: {e} (seed {seed})"));
        let stored = stored.unwrap_or_else(|| panic!("run {run}: acknowledged session {id} lost (seed {seed})"));
        assert!(stored.version >= *version, "run {run}: session {id} went back from {version} to {} (seed {seed})", stored.version);
    }
    for (id, state) in stops.iter_mut() {
        let stored = outbox.stop(id).unwrap_or_else(|e| panic!("run {run}: stop {id} unreadable: {e} (seed {seed})"));
        if in_flight == Some(id.as_str()) {
            // Whichever way the in-flight write went, from now on it must stay that way.
            *state = match &stored {
                None => Stop::Delivered,
                Some(stop) if stop.failed_attempts >= 1 => Stop::Failed,
                Some(_) => Stop::Queued,
            };
            continue;
        }
        match state {
            Stop::Queued => assert!(stored.is_some(), "run {run}: queued stop {id} lost (seed {seed})"),
            Stop::Failed => assert!(stored.is_some_and(|s| s.failed_attempts >= 1), "run {run}: failed attempt of {id} lost (seed {seed})"),
            Stop::Delivered => assert!(stored.is_none(), "run {run}: delivered stop {id} came back (seed {seed})"),
        }
    }
    // Nothing corrupt anywhere: every record decrypts and parses, the index matches.
    let all: Vec<_> = cache.iter_newest().collect::<Result<_, _>>().unwrap_or_else(|e| panic!("run {run}: corrupt cache: {e} (seed {seed})"));
    assert!(all.len() >= sessions.len(), "run {run}: index lost sessions (seed {seed})");
    outbox.pending_stops().unwrap_or_else(|e| panic!("run {run}: corrupt outbox: {e} (seed {seed})"));
}
