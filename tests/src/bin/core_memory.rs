//! Resident memory of the driver app core: with 10,000 sessions in its cache and one live
//! session observed with the smoothed display, as a phone would hold it.
//!
//! Run: `cargo run --release -p chargekit-tests --bin core_memory`. The parent process runs
//! the backend and a simulated charger and fills the cache; a child process holds only the
//! core, and reports its resident set (`VmRSS`) and peak (`VmHWM`) from `/proc/self/status`
//! at each step, so the server's memory is not counted. Linux only.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chargekit_core::cache::SessionCache;
use chargekit_core::crypto::CacheKey;
use chargekit_core::store::SledStore;
use chargekit_core::{ChargeKit, CoreConfig, MemorySecureStore, SecureStore, SessionInfo, SessionListener};
use chargekit_model::{Currency, EvseId, Session, SessionStatus, SessionUsage, Tariff, price};
use rust_decimal::Decimal;
use time::OffsetDateTime;

const CACHED: usize = 10_000;
const KEY_NAME: &str = "chargekit.cache_key";
const EMAIL: &str = "memory@example.com";
const PASSWORD: &str = "correct horse battery";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], &args[3], &args[4]);
    } else {
        parent();
    }
}

fn parent() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let backend = chargekit_tests::backend().await;
        let charger = chargekit_tests::charger_with(&backend, |c| c.meter_interval = Duration::from_secs(1)).await;
        let http = chargekit_tests::http_client();
        let body = serde_json::json!({"email": EMAIL, "password": PASSWORD});
        let registered = http.post(format!("{}/v1/auth/register", backend.server.base_url())).json(&body).send().await.expect("register");
        assert!(registered.status().is_success(), "register: {}", registered.status());

        let data_dir = backend.dir.path().join("phone");
        let secrets = MemorySecureStore::new();
        fill(&data_dir, &secrets, CACHED);
        let key = hex::encode(secrets.get(KEY_NAME.into()).expect("cache key"));

        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .args(["--child", &backend.server.base_url(), &data_dir.display().to_string(), &key])
            .stdout(Stdio::piped())
            .spawn()
            .expect("child starts");
        let reader = BufReader::new(child.stdout.take().expect("child stdout"));
        let lines = tokio::task::spawn_blocking(move || reader.lines().map_while(Result::ok).collect::<Vec<_>>()).await.expect("reader");
        let status = child.wait().expect("child ends");
        assert!(status.success(), "the measuring process failed");
        println!("core resident memory, {CACHED} sessions cached (KiB):");
        for line in lines {
            println!("  {line}");
        }
        charger.shutdown().await;
        backend.server.shutdown().await;
    });
}

/// The measuring process: the core alone, as the app holds it.
fn child(backend_url: &str, data_dir: &str, key_hex: &str) {
    report("process started, nothing opened");
    let secrets = Arc::new(MemorySecureStore::new());
    secrets.set(KEY_NAME.into(), hex::decode(key_hex).expect("a hex key")).unwrap();
    let config = CoreConfig { backend_url: backend_url.into(), data_dir: data_dir.into() };
    let app = ChargeKit::new(config, secrets).expect("core opens");
    let first_page = app.history(20, 0).expect("history");
    assert_eq!(first_page.len(), 20);
    report("core open, first history page read");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        app.sign_in(EMAIL.into(), PASSWORD.into()).await.expect("sign in");
        let session = app.start_session(chargekit_tests::EVSE_ID.into(), chargekit_core::Payment::Default).await.expect("start");
        let frames = Arc::new(Frames::default());
        let handle = app.observe_session_smooth(session.id.clone(), 30, frames.clone());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(frames.0.load(Ordering::SeqCst) > 100, "the live display was drawn");
        report("live session observed for 10 s at 30 frames/s");
        handle.cancel();
        app.stop_session(session.id).await.expect("stop");
    });
    let months = app.history_by_month(200, "UTC".into()).expect("months");
    assert!(!months.is_empty());
    report("history by month, newest 200 sessions");
    // Months carry their sessions, so this materializes every cached session at once.
    let months = app.history_by_month(CACHED as u32, "UTC".into()).expect("months");
    assert!(months.iter().map(|m| m.sessions.len()).sum::<usize>() >= CACHED);
    report("history by month, all sessions");
}

#[derive(Default)]
struct Frames(AtomicUsize);

impl SessionListener for Frames {
    fn on_update(&self, _session: SessionInfo) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn report(step: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().trim_end_matches(" kB").to_owned()).unwrap_or_else(|| "?".into())
    };
    println!("{step}: rss {} peak {}", field("VmRSS:"), field("VmHWM:"));
}

/// Sessions spread over the last three years, written a thousand per batch as syncs would.
fn fill(dir: &std::path::Path, secrets: &MemorySecureStore, count: usize) {
    let (key, _) = CacheKey::from_store(secrets).expect("key");
    let cache = SessionCache::new(Arc::new(SledStore::open(dir).expect("store")), Arc::new(key));
    let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::new(39, 2), Decimal::new(120, 2), Some(Decimal::from(19)));
    let evse = EvseId::parse(chargekit_tests::EVSE_ID).expect("EVSE ID");
    let first = OffsetDateTime::now_utc() - time::Duration::days(3 * 365);
    let sessions: Vec<Session> = (0..count as i64)
        .map(|i| {
            let usage = SessionUsage { energy_wh: 5_000 + i * 7_919 % 60_000, charging_seconds: 600 + i * 104_729 % 7_200, parking_seconds: 0 };
            Session {
                id: uuid::Uuid::new_v4(),
                evse_id: evse.clone(),
                status: SessionStatus::Completed,
                created_at: first + time::Duration::minutes(i * 150),
                started_at: None,
                stopped_at: None,
                energy_wh: usage.energy_wh,
                power_w: 0,
                duration_seconds: usage.charging_seconds,
                parking_seconds: 0,
                cost: price(&tariff, &usage),
                tariff: tariff.clone(),
                failure_reason: None,
                review_reason: None,
                auth_method: Default::default(),
                version: 1,
            }
        })
        .collect();
    for batch in sessions.chunks(1_000) {
        cache.put_many(batch).expect("fill");
    }
}
