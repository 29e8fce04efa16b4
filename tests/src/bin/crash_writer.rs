//! The writing half of the crash-safety harness (`tests/tests/crash_safety.rs`): opens the
//! core's encrypted cache and outbox in a directory and writes as an app would — live session
//! updates, history sync batches, queued stops — printing one acknowledgement line after each
//! write returned (and `R` once the store is open). The harness kills it at a random moment and checks that everything
//! acknowledged survived.
//!
//! Usage: `crash_writer DIR SEED`. The cache key is kept in `DIR/key` (a file standing in for
//! the platform's secure store, which outlives the process).

use std::io::Write;
use std::sync::Arc;

use chargekit_core::cache::SessionCache;
use chargekit_core::store::SledStore;
use chargekit_core::crypto::CacheKey;
use chargekit_core::outbox::Outbox;
use chargekit_core::{MemorySecureStore, SecureStore};
use chargekit_model::{Currency, EvseId, Session, SessionStatus, SessionUsage, Tariff, price};
use rust_decimal::Decimal;
use time::OffsetDateTime;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("DIR"));
    let mut random = args.next().and_then(|s| s.parse::<u64>().ok()).expect("SEED");
    let secrets = MemorySecureStore::new();
    if let Ok(key) = std::fs::read(dir.join("key")) {
        secrets.set("chargekit.cache_key".into(), key).unwrap();
    }
    let (key, created) = CacheKey::from_store(&secrets).expect("cache key");
    if created {
        let bytes = secrets.get("chargekit.cache_key".into()).expect("key just stored");
        std::fs::write(dir.join("key.tmp"), bytes).expect("write key");
        std::fs::rename(dir.join("key.tmp"), dir.join("key")).expect("keep key");
    }
    let key = Arc::new(key);
    let store = Arc::new(SledStore::open(&dir).expect("open sled"));
    let cache = SessionCache::new(store.clone(), key.clone());
    let outbox = Outbox::new(store, key);
    let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::new(39, 2), Decimal::new(120, 2), None);
    let mut out = std::io::stdout().lock();
    // Open: from here on a kill lands among the writes.
    writeln!(out, "R").and_then(|_| out.flush()).expect("ready");
    // Versions grow across runs (wall clock in µs), as a backend's versions do.
    let base_version = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_micros(),
    )
    .expect("fits");
    let mut next = |bound: u64| {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random % bound
    };
    for step in 0u64.. {
        let version = base_version + step as i64;
        match next(10) {
            // A live update of one of a few sessions.
            0..=5 => {
                let id = uuid::Uuid::from_u128(1 + u128::from(next(8)));
                cache.put(&session(id, version, &tariff)).expect("put");
                writeln!(out, "S {id} {version}").and_then(|_| out.flush()).expect("ack");
            }
            // A history sync: a batch of sessions fetched from the backend.
            6 | 7 => {
                for _ in 0..5 {
                    let id = uuid::Uuid::from_u128(1_000 + u128::from(next(500)));
                    cache.put(&session(id, version, &tariff)).expect("put");
                    writeln!(out, "S {id} {version}").and_then(|_| out.flush()).expect("ack");
                }
            }
            // A stop queued, then failed for want of network, or delivered.
            _ => {
                let id = uuid::Uuid::new_v4().to_string();
                outbox.queue_stop(&id).expect("queue");
                writeln!(out, "Q {id}").and_then(|_| out.flush()).expect("ack");
                if next(2) == 0 {
                    outbox.attempt_failed(&id).expect("failed attempt");
                    writeln!(out, "F {id}").and_then(|_| out.flush()).expect("ack");
                } else {
                    outbox.done(&id).expect("done");
                    writeln!(out, "D {id}").and_then(|_| out.flush()).expect("ack");
                }
            }
        }
    }
}

fn session(id: uuid::Uuid, version: i64, tariff: &Tariff) -> Session {
    // Plausible figures that still change with every version.
    let energy_wh = version % 100_000;
    let charging_seconds = version % 36_000;
    Session {
        id,
        evse_id: EvseId::parse("DE*CKT*E0001*1").expect("valid"),
        status: SessionStatus::Charging,
        created_at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_700_000_000 + id.as_u128() as i64 % 1_000_000),
        started_at: None,
        stopped_at: None,
        energy_wh,
        power_w: 11_000,
        duration_seconds: charging_seconds,
        parking_seconds: 0,
        cost: price(tariff, &SessionUsage { energy_wh, charging_seconds, parking_seconds: 0 }),
        tariff: tariff.clone(),
        failure_reason: None,
        review_reason: None,
        auth_method: Default::default(),
        version,
    }
}
