use std::fmt;

use super::Invalid;

pub const MAX_USERNAME_LEN: usize = 32;

/// 1–32 of `A–Z a–z 0–9 _`. Unique ignoring case; the case given is kept for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return Err(Invalid("username must not be empty".into()));
        }
        if raw.len() > MAX_USERNAME_LEN {
            return Err(Invalid(format!("username must be at most {MAX_USERNAME_LEN} characters")));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Invalid("username may only hold the letters A-Z and a-z, digits and _".into()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_seed_examples_and_keeps_case() {
        let name = Username::parse("KickSent_2").unwrap();
        assert_eq!(name.as_str(), "KickSent_2");
        assert_eq!(name.key(), "kicksent_2");
        assert!(Username::parse("1234").is_ok());
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters() {
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        for bad in ["with space", "dash-name", "dot.name", "émile", "a@b", "tab\t"] {
            assert!(Username::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(raw in "[A-Za-z0-9_]{1,32}") {
            let name = Username::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
            prop_assert_eq!(name.key(), raw.to_ascii_lowercase());
        }

        #[test]
        fn anything_outside_the_charset_is_refused(prefix in "[A-Za-z0-9_]{0,10}", bad in "[^A-Za-z0-9_]", suffix in "[A-Za-z0-9_]{0,10}") {
            let raw = format!("{prefix}{bad}{suffix}");
            prop_assert!(Username::parse(&raw).is_err());
        }

        #[test]
        fn never_panics(raw in "\\PC*") {
            let _ = Username::parse(&raw);
        }
    }
}
