//! Secrets (the sign-in token, the cache key, pinned receipt keys) go to the platform's secure
//! storage — Keychain on iOS, an Android Keystore-backed store on Android — through this
//! foreign trait, never to the cache.
//!
//! The store can fail, and how it fails decides what the core does:
//! - [`SecureStoreError::NotFound`]: the value is gone for good (never stored, deleted, or the
//!   key protecting it was invalidated). Only this ever makes the core create a new cache key,
//!   which means dropping what the old one sealed.
//! - [`SecureStoreError::Unavailable`]: the store cannot answer now (the phone is locked, the
//!   Keystore is busy). Nothing is gone: the core keeps its cache and its queued stops, fails
//!   what needs the secret with a storage error, and asks again later.

/// Why the secure store did not answer with a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SecureStoreError {
    /// Nothing is stored under this key, for good.
    #[error("no such secret")]
    NotFound,
    /// The store cannot answer now (device locked, Keystore busy); the value may well be there.
    #[error("the secure store is unavailable now: {reason}")]
    Unavailable { reason: String },
}

/// A foreign implementation that threw something else, or a callback that failed in the
/// bindings: nothing says the secret is gone, so it counts as unavailable.
impl From<uniffi::UnexpectedUniFFICallbackError> for SecureStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Unavailable { reason: e.reason }
    }
}

/// Key-value storage for secrets, implemented by the app (or by [`MemorySecureStore`] in
/// tests and the terminal demo).
///
/// `get` throws `NotFound` only when the value is gone for good, and `Unavailable` for any
/// failure that may pass; `set` and `delete` throw `Unavailable` when they could not do it
/// (deleting a missing value is not an error). An implementation never deletes a value
/// because reading it failed for a reason that may pass.
#[uniffi::export(with_foreign)]
pub trait SecureStore: Send + Sync {
    fn get(&self, key: String) -> Result<Vec<u8>, SecureStoreError>;
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecureStoreError>;
    fn delete(&self, key: String) -> Result<(), SecureStoreError>;
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
    fn get(&self, key: String) -> Result<Vec<u8>, SecureStoreError> {
        self.values.lock().expect("secret lock").get(&key).cloned().ok_or(SecureStoreError::NotFound)
    }
    fn set(&self, key: String, value: Vec<u8>) -> Result<(), SecureStoreError> {
        self.values.lock().expect("secret lock").insert(key, value);
        Ok(())
    }
    fn delete(&self, key: String) -> Result<(), SecureStoreError> {
        self.values.lock().expect("secret lock").remove(&key);
        Ok(())
    }
}

/// Reads `key`: `None` when it is gone for good, an error when the store cannot answer now.
pub(crate) fn read(store: &dyn SecureStore, key: &str) -> Result<Option<Vec<u8>>, crate::error::CoreError> {
    match store.get(key.into()) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(SecureStoreError::NotFound) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

/// Writes `key`; "not found" from a write means nothing, any failure is "not now".
pub(crate) fn write(store: &dyn SecureStore, key: &str, value: Vec<u8>) -> Result<(), crate::error::CoreError> {
    store.set(key.into(), value).map_err(unavailable)
}

/// Deletes `key`; a value already gone is deleted.
pub(crate) fn delete(store: &dyn SecureStore, key: &str) -> Result<(), crate::error::CoreError> {
    match store.delete(key.into()) {
        Ok(()) | Err(SecureStoreError::NotFound) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn unavailable(e: SecureStoreError) -> crate::error::CoreError {
    match e {
        SecureStoreError::Unavailable { reason } => crate::error::CoreError::secure_store_unavailable(reason),
        SecureStoreError::NotFound => crate::error::CoreError::secure_store_unavailable("the store lost a value while writing it"),
    }
}
