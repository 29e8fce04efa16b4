//! Encryption of what the core keeps on disk: AES-256-GCM (ring) with a key that lives in the
//! platform's secure store, never in the cache itself.
//!
//! A sealed value is `nonce (12 bytes) ‖ ciphertext ‖ tag`. The record's own key (tree and
//! key) is the associated data, so a value copied onto another record does not open.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::CoreError;
use crate::secrets::{self, SecureStore};

/// Where the cache key lives in the platform's secure store.
const KEY_NAME: &str = "chargekit.cache_key";
const KEY_LEN: usize = 32;

pub struct CacheKey {
    key: LessSafeKey,
    random: SystemRandom,
}

impl CacheKey {
    /// The cache key from the secure store, created there on first use. `created` tells the
    /// caller that data sealed before (with a lost key) cannot be read any more.
    ///
    /// Only a key the store says is gone for good (or a value that cannot be a key) is
    /// replaced. A store that cannot answer now fails this, and nothing else happens: the
    /// data sealed with the key it still holds stays, to be read once it answers.
    pub fn from_store(store: &dyn SecureStore) -> Result<(Self, bool), CoreError> {
        let random = SystemRandom::new();
        let (bytes, created) = match secrets::read(store, KEY_NAME)? {
            Some(bytes) if bytes.len() == KEY_LEN => (bytes, false),
            _ => {
                let mut bytes = vec![0u8; KEY_LEN];
                random.fill(&mut bytes).map_err(|_| CoreError::Internal("no secure random numbers".into()))?;
                // Kept before anything is sealed with it: a key not kept would lose that data.
                secrets::write(store, KEY_NAME, bytes.clone())?;
                (bytes, true)
            }
        };
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| CoreError::Internal("bad cache key".into()))?;
        Ok((Self { key: LessSafeKey::new(key), random }, created))
    }

    pub fn seal(&self, associated: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| CoreError::Internal("no secure random numbers".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(associated), &mut sealed[NONCE_LEN..])
            .map_err(|_| CoreError::Internal("encryption failed".into()))?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    pub fn open(&self, associated: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CoreError> {
        let unreadable = || CoreError::Storage("a cached record does not decrypt (tampered, or sealed with another key)".into());
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(unreadable());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut body = body.to_vec();
        let plaintext = self.key.open_in_place(nonce, Aad::from(associated), &mut body).map_err(|_| unreadable())?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecureStore;

    #[test]
    fn seals_opens_and_refuses_tampering_or_another_record() {
        let store = MemorySecureStore::new();
        let (key, created) = CacheKey::from_store(&store).unwrap();
        assert!(created);
        let sealed = key.seal(b"sessions/a", b"DE*CKT*E0001*1").unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"DE*C"), "no plaintext in the sealed value");
        assert_eq!(key.open(b"sessions/a", &sealed).unwrap(), b"DE*CKT*E0001*1");
        assert!(key.open(b"sessions/b", &sealed).is_err(), "bound to its record");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"sessions/a", &tampered).is_err());
        assert!(key.open(b"sessions/a", &sealed[..10]).is_err());

        let (again, created) = CacheKey::from_store(&store).unwrap();
        assert!(!created, "the key is kept in the secure store");
        assert_eq!(again.open(b"sessions/a", &sealed).unwrap(), b"DE*CKT*E0001*1");
        let (other, _) = CacheKey::from_store(&MemorySecureStore::new()).unwrap();
        assert!(other.open(b"sessions/a", &sealed).is_err());
    }

    /// A store that cannot answer now: no new key is made, nothing is written.
    struct Locked(std::sync::atomic::AtomicUsize);

    impl SecureStore for Locked {
        fn get(&self, _: String) -> Result<Vec<u8>, crate::SecureStoreError> {
            Err(crate::SecureStoreError::Unavailable { reason: "locked".into() })
        }
        fn set(&self, _: String, _: Vec<u8>) -> Result<(), crate::SecureStoreError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(crate::SecureStoreError::Unavailable { reason: "locked".into() })
        }
        fn delete(&self, _: String) -> Result<(), crate::SecureStoreError> {
            Err(crate::SecureStoreError::Unavailable { reason: "locked".into() })
        }
    }

    #[test]
    fn an_unavailable_store_makes_no_new_key() {
        let store = Locked(Default::default());
        assert!(matches!(CacheKey::from_store(&store), Err(CoreError::SecureStoreUnavailable)));
        assert_eq!(store.0.load(std::sync::atomic::Ordering::SeqCst), 0, "no key was written");
    }
}
