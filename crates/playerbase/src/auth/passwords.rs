//! argon2id with explicit parameters, run off the async runtime and at most
//! one hash per core at a time, so a login storm queues instead of starving
//! every other request.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP's recommendation: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[derive(Clone)]
pub struct Passwords {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// Verified against when there is no real hash, so that an unknown user costs as much as a wrong password.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub fn new() -> Self {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("the argon2 parameters are valid");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy_hash = hash_now(&argon, "no password matches this").expect("hashing a constant works");
        Self { argon, permits: Arc::new(Semaphore::new(cores)), dummy_hash: dummy_hash.into() }
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let argon = self.argon.clone();
        self.run_blocking(move || hash_now(&argon, &password)).await?
    }

    /// Whether `password` matches `stored`; with no stored hash, it costs a hash and fails.
    pub async fn verify(&self, password: String, stored: Option<String>) -> anyhow::Result<bool> {
        let argon = self.argon.clone();
        let has_hash = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run_blocking(move || {
                let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash is unreadable: {e}"))?;
                Ok::<_, anyhow::Error>(argon.verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await??;
        Ok(has_hash && matches)
    }

    async fn run_blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("password hashing has shut down")?;
        tokio::task::spawn_blocking(work).await.context("password hashing task failed")
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

fn hash_now(argon: &Argon2<'_>, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = argon.hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_the_stated_parameters() {
        let passwords = Passwords::new();
        let hash = passwords.hash("python3x".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify("python3x".into(), Some(hash.clone())).await.unwrap());
        assert!(!passwords.verify("python3y".into(), Some(hash.clone())).await.unwrap());
        assert_ne!(hash, passwords.hash("python3x".into()).await.unwrap(), "salted");
    }

    #[tokio::test]
    async fn no_stored_hash_never_matches() {
        let passwords = Passwords::new();
        assert!(!passwords.verify("no password matches this".into(), None).await.unwrap());
    }
}
