//! Secrets (the sign-in token) go to the platform's secure storage — Keychain on iOS, an
//! Android Keystore-backed store on Android — through this foreign trait, never to the cache.

/// Key-value storage for secrets, implemented by the app (or by [`MemorySecureStore`] in
/// tests and the terminal demo).
#[uniffi::export(with_foreign)]
pub trait SecureStore: Send + Sync {
    fn get(&self, key: String) -> Option<Vec<u8>>;
    fn set(&self, key: String, value: Vec<u8>);
    fn delete(&self, key: String);
}

/// A secure store that keeps secrets in memory only: for tests and the demo, where nothing
/// should outlive the process.
#[derive(Default, uniffi::Object)]
pub struct MemorySecureStore {
    values: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

#[uniffi::export]
impl MemorySecureStore {
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }
}

#[uniffi::export]
impl SecureStore for MemorySecureStore {
    fn get(&self, key: String) -> Option<Vec<u8>> {
        self.values.lock().expect("secret lock").get(&key).cloned()
    }
    fn set(&self, key: String, value: Vec<u8>) {
        self.values.lock().expect("secret lock").insert(key, value);
    }
    fn delete(&self, key: String) {
        self.values.lock().expect("secret lock").remove(&key);
    }
}
