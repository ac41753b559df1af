//! The Flask API's password hashes: passlib's `custom_app_context`, that is
//! sha512-crypt (`$6$rounds=656000$…`) and, on older rows, sha256-crypt
//! (`$5$…`). They verify at login and are replaced by argon2id then.

/// A legacy hash scheme, told by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Sha512Crypt,
    Sha256Crypt,
}

/// The bounds of the SHA-crypt specification; passlib stays within them.
const MIN_ROUNDS: u64 = 1_000;
const MAX_ROUNDS: u64 = 999_999_999;
const MAX_SALT_LEN: usize = 16;

fn is_crypt_base64(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}

impl Scheme {
    /// The scheme of a stored hash if it is a legacy one, by its prefix alone.
    pub fn of(hash: &str) -> Option<Self> {
        if hash.starts_with("$6$") {
            Some(Self::Sha512Crypt)
        } else if hash.starts_with("$5$") {
            Some(Self::Sha256Crypt)
        } else {
            None
        }
    }

    /// The scheme of `hash` if it is a well-formed SHA-crypt hash:
    /// `$6$[rounds=N$]SALT$HASH` (86 characters of hash; 43 for `$5$`).
    pub fn parse(hash: &str) -> Option<Self> {
        let scheme = Self::of(hash)?;
        let mut parts = hash[3..].split('$');
        let mut next = parts.next()?;
        if let Some(rounds) = next.strip_prefix("rounds=") {
            let rounds: u64 = rounds.parse().ok().filter(|_| rounds.bytes().all(|b| b.is_ascii_digit()))?;
            if !(MIN_ROUNDS..=MAX_ROUNDS).contains(&rounds) {
                return None;
            }
            next = parts.next()?;
        }
        let (salt, digest) = (next, parts.next()?);
        let digest_len = match scheme {
            Self::Sha512Crypt => 86,
            Self::Sha256Crypt => 43,
        };
        let well_formed = parts.next().is_none()
            && salt.len() <= MAX_SALT_LEN
            && is_crypt_base64(salt)
            && digest.len() == digest_len
            && is_crypt_base64(digest);
        well_formed.then_some(scheme)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha512Crypt => "sha512-crypt",
            Self::Sha256Crypt => "sha256-crypt",
        }
    }
}

/// Whether `password` matches the legacy `hash`. Blocking and slow (656,000
/// rounds of SHA-512 for passlib's default): call it off the async runtime.
pub fn verify_now(scheme: Scheme, password: &str, hash: &str) -> anyhow::Result<bool> {
    // The crate tells a mismatch from a malformed hash only through a private
    // error type: check the shape first, so that an error afterwards is a mismatch.
    if Scheme::parse(hash) != Some(scheme) {
        anyhow::bail!("stored {} hash is unreadable", scheme.name());
    }
    let checked = match scheme {
        Scheme::Sha512Crypt => sha_crypt::sha512_check(password, hash),
        Scheme::Sha256Crypt => sha_crypt::sha256_check(password, hash),
    };
    Ok(checked.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with passlib 1.7.4: `sha512_crypt.using(rounds=1000).hash("python3x")`
    // and `sha256_crypt.using(rounds=1000).hash("python3x")` (few rounds: fast tests).
    const SHA512: &str = "$6$rounds=1000$gie2yv7zue7yOTN5$MFGC.InJUltP7F27PYLoTRDrstf3Bv5H/pOoAvq2XeOjjYt8fNSs5Q.HKZWG80PlbasE4Zb8cA9fNPdnr4.YT.";
    const SHA256: &str = "$5$rounds=1000$gcHYxKMDPQjpZU9p$GVJSY2AMvqcqFUR26CfOzQ3jzVEj9Itts6jSJCcuDyA";

    #[test]
    fn recognises_well_formed_hashes_only() {
        assert_eq!(Scheme::parse(SHA512), Some(Scheme::Sha512Crypt));
        assert_eq!(Scheme::parse(SHA256), Some(Scheme::Sha256Crypt));
        let no_rounds = SHA512.replace("rounds=1000$", "");
        assert_eq!(Scheme::parse(&no_rounds), Some(Scheme::Sha512Crypt), "rounds default to 5000");
        for bad in [
            "",
            "plaintext",
            "$1$salt$md5hashhashhashhashhash",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            "$6$rounds=999$salt$x",
            "$6$rounds=abc$salt$x",
            "$6$rounds=1000$salt",
            &SHA512[..SHA512.len() - 1],
            &format!("{SHA512}$extra"),
            &SHA512.replace("gie2yv7zue7yOTN5", "salt with space"),
            &SHA512.replace("gie2yv7zue7yOTN5", "0123456789abcdefXYZ"),
        ] {
            assert_eq!(Scheme::parse(bad), None, "{bad:?} was accepted");
        }
        assert_eq!(Scheme::of("$6$anything"), Some(Scheme::Sha512Crypt));
        assert_eq!(Scheme::of("$argon2id$…"), None);
    }

    #[test]
    fn verifies_passlib_hashes() {
        assert!(verify_now(Scheme::Sha512Crypt, "python3x", SHA512).unwrap());
        assert!(!verify_now(Scheme::Sha512Crypt, "python3y", SHA512).unwrap());
        assert!(verify_now(Scheme::Sha256Crypt, "python3x", SHA256).unwrap());
        assert!(!verify_now(Scheme::Sha256Crypt, "Python3x", SHA256).unwrap());
        assert!(verify_now(Scheme::Sha512Crypt, "python3x", "$6$x$y").is_err(), "malformed is an error, not a no");
    }
}
