//! Tokens are random, prefixed so a leaked one is recognisable, and stored
//! only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of the seed-compatible `/api/token/` tokens.
pub const LEGACY_PREFIX: &str = "pbt_";
/// Prefix of v1 access tokens.
pub const ACCESS_PREFIX: &str = "pba_";
/// Prefix of v1 refresh tokens.
pub const REFRESH_PREFIX: &str = "pbr_";
/// Prefix of the website's session cookies.
pub const WEB_PREFIX: &str = "pbw_";
/// Prefix of API keys.
pub const API_KEY_PREFIX: &str = "pbk_";

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A hash as stored; none if `bytes` is not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A freshly made token: the text goes to the caller once, the hash to the store.
pub struct NewSecret {
    pub text: String,
    pub hash: TokenHash,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSecret(<redacted>)")
    }
}

/// 256 random bits behind `prefix`.
pub fn generate(prefix: &str) -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = TokenHash::of(&text);
    NewSecret { text, hash }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::username::MAX_USERNAME_LEN;

    #[test]
    fn tokens_are_unique_prefixed_and_longer_than_any_username() {
        let a = generate(LEGACY_PREFIX);
        let b = generate(LEGACY_PREFIX);
        assert_ne!(a.text, b.text);
        assert!(a.text.starts_with(LEGACY_PREFIX));
        assert!(a.text.len() > MAX_USERNAME_LEN, "the Basic username form tells tokens by length");
        assert_eq!(a.hash, TokenHash::of(&a.text));
        assert_ne!(a.hash, b.hash);
        assert_eq!(format!("{a:?}"), "NewSecret(<redacted>)");
    }
}
