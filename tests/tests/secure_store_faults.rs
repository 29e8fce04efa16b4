//! A platform secure store that cannot answer for a while (a locked iPhone, a busy Keystore)
//! must not cost the driver anything: no new cache key, no lost history, no lost queued stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chargekit_core::{ChargeKit, ChargeKitError, CoreConfig, MemorySecureStore, SecureStore, SecureStoreError, SessionState};
use chargekit_tests::proxy::FaultProxy;
use chargekit_tests::{EVSE_ID, Recorder, app_at, backend, backend_with, charger};

const WAIT: Duration = Duration::from_secs(20);

/// The phone's secure store, which keeps its secrets but answers "unavailable" while locked.
#[derive(Default)]
struct LockableStore {
    secrets: MemorySecureStore,
    locked: AtomicBool,
}

impl LockableStore {
    fn lock(&self, locked: bool) {
        self.locked.store(locked, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), SecureStoreError> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(SecureStoreError::Unavailable { reason: "the device is locked".into() });
        }
        Ok(())
    }
}

impl SecureStore for LockableStore {
    fn get(&self, key: String) -> Result<Vec<u8>, SecureStoreError> {
        self.check()?;
        self.secrets.get(key)
    }
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecureStoreError> {
        self.check()?;
        self.secrets.set(key, value)
    }
    fn delete(&self, key: String) -> Result<(), SecureStoreError> {
        self.check()?;
        self.secrets.delete(key)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_secure_store_keeps_the_queued_stop_and_it_is_delivered_once_unlocked() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    let store = Arc::new(LockableStore::default());
    let app = app_at(&proxy.url(), &backend, "phone", store.clone());
    app.sign_up("ida@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.session(session.id.clone()).await.unwrap().state != SessionState::Charging {
        assert!(tokio::time::Instant::now() < deadline, "charger never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.cut();
    assert!(app.stop_session(session.id.clone()).await.unwrap().stop_pending);
    drop(app);

    // The app is launched again while the phone is locked, and the network is back: opening
    // fails clearly, again and again, and nothing on the phone is touched.
    store.lock(true);
    proxy.restore();
    let config = CoreConfig { backend_url: proxy.url(), data_dir: backend.dir.path().join("phone").display().to_string() };
    for _ in 0..3 {
        match open(&config, &store).await {
            Err(ChargeKitError::Storage { message }) => assert!(message.contains("secure storage"), "{message}"),
            Err(other) => panic!("expected a storage error, got {other}"),
            Ok(_) => panic!("the core opened without its cache key"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(charger.transactions()[0].stopped_at.is_none(), "nothing was sent meanwhile");

    // Unlocked: the same key, the same driver, the same queued stop, delivered once.
    store.lock(false);
    let app = open(&config, &store).await.expect("the core opens once the store answers");
    assert!(app.account().is_some(), "still signed in");
    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session(session.id.clone(), recorder.clone());
    recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed && !s.stop_pending)).await;
    let transactions = charger.transactions();
    assert_eq!(transactions.len(), 1);
    assert_eq!(transactions[0].stop_reason.map(|r| r.as_str()), Some("Remote"));
    assert!(app.history(10, 0).unwrap().iter().any(|s| s.id == session.id), "the history on the phone was kept");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

/// Opens the core on the same directory; the closed core's runtime may hold the cache lock a
/// moment longer, which is a storage error too, so that one is waited out.
async fn open(config: &CoreConfig, store: &Arc<LockableStore>) -> Result<Arc<ChargeKit>, ChargeKitError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match ChargeKit::new(config.clone(), store.clone()) {
            Err(ChargeKitError::Storage { message }) if !message.contains("secure storage") && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_refreshed_while_the_store_is_locked_are_saved_once_it_answers() {
    let backend = backend_with(|config| config.access_token_lifetime = Duration::from_secs(1)).await;
    let store = Arc::new(LockableStore::default());
    let app = app_at(&backend.server.base_url(), &backend, "phone", store.clone());
    app.sign_up("jo@example.com".into(), "correct horse battery".into()).await.unwrap();

    // Locked while the access token expires: the refresh works (the backend has moved on to
    // the new tokens, the old refresh token is spent), the store cannot take the new tokens.
    store.lock(true);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    app.lookup_evse(EVSE_ID.into()).await.expect("refreshed, the driver notices nothing");
    store.lock(false);
    app.lookup_evse(EVSE_ID.into()).await.unwrap();
    drop(app);

    // The next launch has the fresh tokens: its refresh works.
    let config = CoreConfig { backend_url: backend.server.base_url(), data_dir: backend.dir.path().join("phone").display().to_string() };
    let app = open(&config, &store).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    app.lookup_evse(EVSE_ID.into()).await.expect("still signed in after the restart");
    backend.server.shutdown().await;
}
