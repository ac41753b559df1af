//! argon2id with explicit parameters, run off the async runtime and at most
//! one hash per core at a time, so a login storm queues instead of starving
//! every other request.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use super::legacy;

/// OWASP's recommendation: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// What checking a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password, or no stored hash.
    Wrong,
    /// Right, against an argon2id hash.
    Current,
    /// Right, against a legacy hash that should be replaced.
    Legacy,
}

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
        Ok(self.check(password, stored).await? != Verdict::Wrong)
    }

    /// Like [`verify`](Self::verify), and tells whether the matching hash is
    /// a legacy one (sha512-crypt or sha256-crypt from the Flask database)
    /// that should be replaced by an argon2id hash now that the password is known.
    ///
    /// No stored hash costs the dummy argon2id verification, as a wrong
    /// password of an argon2id hash does. A legacy hash costs its own rounds
    /// (about 0.25 s for passlib's 656,000), so until its player logs in
    /// once, timing can tell that such an account exists.
    pub async fn check(&self, password: String, stored: Option<String>) -> anyhow::Result<Verdict> {
        let argon = self.argon.clone();
        let has_hash = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        self.run_blocking(move || {
            if let Some(scheme) = legacy::Scheme::of(&hash) {
                let matches = legacy::verify_now(scheme, &password, &hash)?;
                return Ok(if matches && has_hash { Verdict::Legacy } else { Verdict::Wrong });
            }
            let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash is unreadable: {e}"))?;
            let matches = argon.verify_password(password.as_bytes(), &parsed).is_ok();
            Ok(if matches && has_hash { Verdict::Current } else { Verdict::Wrong })
        })
        .await?
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
    async fn legacy_hashes_verify_and_ask_to_be_replaced() {
        let passwords = Passwords::new();
        // passlib: sha512_crypt.using(rounds=1000).hash("python3x"), and the sha256 one.
        let sha512 = "$6$rounds=1000$gie2yv7zue7yOTN5$MFGC.InJUltP7F27PYLoTRDrstf3Bv5H/pOoAvq2XeOjjYt8fNSs5Q.HKZWG80PlbasE4Zb8cA9fNPdnr4.YT.";
        let sha256 = "$5$rounds=1000$gcHYxKMDPQjpZU9p$GVJSY2AMvqcqFUR26CfOzQ3jzVEj9Itts6jSJCcuDyA";
        for hash in [sha512, sha256] {
            assert_eq!(passwords.check("python3x".into(), Some(hash.into())).await.unwrap(), Verdict::Legacy);
            assert_eq!(passwords.check("python3y".into(), Some(hash.into())).await.unwrap(), Verdict::Wrong);
            assert!(passwords.verify("python3x".into(), Some(hash.into())).await.unwrap());
        }
        let argon = passwords.hash("python3x".into()).await.unwrap();
        assert_eq!(passwords.check("python3x".into(), Some(argon)).await.unwrap(), Verdict::Current);
    }

    #[tokio::test]
    async fn no_stored_hash_never_matches() {
        let passwords = Passwords::new();
        assert!(!passwords.verify("no password matches this".into(), None).await.unwrap());
    }
}
