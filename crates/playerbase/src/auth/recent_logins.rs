//! Basic credentials verified lately. The Flask API's clients send the
//! password with every request; hashing it each time would spend a core on
//! argon2 for a chatty client and use up its address's login allowance
//! (`limits.login_per_ip`). A credential that verified within
//! [`REMEMBERED_FOR`] is accepted again without either.
//!
//! What is kept is an HMAC, under a key made at start, of the username, the
//! password and the stored hash: a new password (a new hash) or another
//! password never matches, and nothing kept is the password.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// How long a verified credential is accepted without hashing again.
pub const REMEMBERED_FOR: i64 = 5 * 60;
/// Credentials kept at most: when full, those expired go; if none has,
/// a new one is not kept (it is checked in full next time), so a burst of
/// logins cannot push out the credentials of clients in use.
const MAX_REMEMBERED: usize = 10_000;

type Fingerprint = [u8; 32];

pub struct RecentLogins {
    key: [u8; 32],
    /// Fingerprint → until when it is accepted.
    verified: Mutex<HashMap<Fingerprint, i64>>,
}

impl RecentLogins {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self { key, verified: Mutex::new(HashMap::new()) }
    }

    fn fingerprint(&self, username_key: &str, password: &str, stored_hash: &str) -> Fingerprint {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        for part in [username_key, password, stored_hash] {
            // Length-prefixed, so that no two triples run together into the same bytes.
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether this password verified against this stored hash within [`REMEMBERED_FOR`].
    pub fn knows(&self, username_key: &str, password: &str, stored_hash: &str, now: i64) -> bool {
        let fingerprint = self.fingerprint(username_key, password, stored_hash);
        let verified = self.verified.lock().expect("recent logins lock");
        verified.get(&fingerprint).is_some_and(|&until| until > now)
    }

    /// The password verified against the stored hash just now.
    pub fn remember(&self, username_key: &str, password: &str, stored_hash: &str, now: i64) {
        let fingerprint = self.fingerprint(username_key, password, stored_hash);
        let mut verified = self.verified.lock().expect("recent logins lock");
        if verified.len() >= MAX_REMEMBERED && !verified.contains_key(&fingerprint) {
            verified.retain(|_, &mut until| until > now);
            if verified.len() >= MAX_REMEMBERED {
                return;
            }
        }
        verified.insert(fingerprint, now + REMEMBERED_FOR);
    }
}

impl Default for RecentLogins {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_password_against_the_same_hash_is_known_and_for_a_while() {
        let recent = RecentLogins::new();
        recent.remember("kicksent", "python3x", "$argon2id$one", 100);
        assert!(recent.knows("kicksent", "python3x", "$argon2id$one", 100 + REMEMBERED_FOR - 1));
        assert!(!recent.knows("kicksent", "python3x", "$argon2id$one", 100 + REMEMBERED_FOR), "expired");
        assert!(!recent.knows("kicksent", "python3y", "$argon2id$one", 100), "another password");
        assert!(!recent.knows("kicksent", "python3x", "$argon2id$two", 100), "a new password's hash");
        assert!(!recent.knows("other", "python3x", "$argon2id$one", 100), "another account");
        assert!(!recent.knows("kicksen", "tpython3x", "$argon2id$one", 100), "parts do not run together");
        assert!(!RecentLogins::new().knows("kicksent", "python3x", "$argon2id$one", 100), "a key per process");
    }

    #[test]
    fn a_full_memory_drops_what_expired_and_keeps_what_is_in_use() {
        let recent = RecentLogins::new();
        for n in 0..MAX_REMEMBERED {
            recent.remember(&format!("p{n}"), "pw", "h", 0);
        }
        recent.remember("burst", "pw", "h", 1);
        assert!(!recent.knows("burst", "pw", "h", 1), "full of live ones: not kept");
        assert!(recent.knows("p0", "pw", "h", 1), "and none of those pushed out");
        recent.remember("fresh", "pw", "h", REMEMBERED_FOR);
        assert_eq!(recent.verified.lock().unwrap().len(), 1, "the expired went");
        assert!(recent.knows("fresh", "pw", "h", REMEMBERED_FOR));
    }
}
