//! Cold open of the core with many sessions cached, to the first page of history: what the
//! app does at launch before it can draw the history screen. Each iteration opens the core
//! (sled, the cache key from the secure store, the HTTP client), reads 20 sessions, and closes
//! it again. The OS file cache is warm, as it is for an app relaunched soon after.
//!
//! `cargo bench -p chargekit-core --bench cold_open`; results in docs/benchmarks.md.

use std::sync::Arc;

use chargekit_core::cache::SessionCache;
use chargekit_core::store::SledStore;
use chargekit_core::crypto::CacheKey;
use chargekit_core::engine::Core;
use chargekit_core::{MemorySecureStore, SecureStore};
use chargekit_model::{Currency, EvseId, Session, SessionStatus, SessionUsage, Tariff, price};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use time::OffsetDateTime;

const PAGE: usize = 20;

fn cold_open(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let mut group = c.benchmark_group("cold open to the first history page");
    group.sample_size(30);
    for cached in [10_000usize, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<MemorySecureStore> = Arc::new(MemorySecureStore::new());
        fill(dir.path(), &secrets, cached);
        group.bench_with_input(BenchmarkId::from_parameter(cached), &cached, |b, _| {
            b.iter(|| {
                let store: Arc<dyn SecureStore> = secrets.clone();
                let core = Core::open("http://127.0.0.1:9", dir.path(), store, runtime.handle().clone()).unwrap();
                let page = core.history(PAGE, 0).unwrap();
                assert_eq!(page.len(), PAGE);
                page
            })
        });
    }
    group.finish();
}

/// Writes `count` sessions, a thousand per transaction, as history syncs would.
fn fill(dir: &std::path::Path, secrets: &MemorySecureStore, count: usize) {
    let (key, _) = CacheKey::from_store(secrets).unwrap();
    let cache = SessionCache::new(Arc::new(SledStore::open(dir).unwrap()), Arc::new(key));
    let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::new(39, 2), Decimal::new(120, 2), Some(Decimal::from(19)));
    let start = OffsetDateTime::now_utc() - time::Duration::days(3 * 365);
    let sessions: Vec<Session> = (0..count)
        .map(|i| {
            let energy_wh = 5_000 + (i as i64 * 7919) % 60_000;
            let charging_seconds = 600 + (i as i64 * 104_729) % 7_200;
            Session {
                id: uuid::Uuid::new_v4(),
                evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
                status: SessionStatus::Completed,
                created_at: start + time::Duration::minutes(i as i64 * 10),
                started_at: None,
                stopped_at: None,
                energy_wh,
                power_w: 0,
                duration_seconds: charging_seconds,
                parking_seconds: 0,
                cost: price(&tariff, &SessionUsage { energy_wh, charging_seconds, parking_seconds: 0 }),
                tariff: tariff.clone(),
                failure_reason: None,
                review_reason: None,
                auth_method: Default::default(),
                version: 1,
            }
        })
        .collect();
    for chunk in sessions.chunks(1_000) {
        cache.put_many(chunk).unwrap();
    }
}

criterion_group!(benches, cold_open);
criterion_main!(benches);
