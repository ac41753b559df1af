use std::fmt;

use super::Invalid;

const MAX_EMAIL_LEN: usize = 254;

/// An address of the shape `local@domain.tld`: private, unique ignoring case.
///
/// Only the shape is checked; whether mail arrives is a question for a
/// confirmation mail, not a parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid(format!("{raw:?} is not an email address"));
        if raw.len() > MAX_EMAIL_LEN {
            return Err(Invalid(format!("email must be at most {MAX_EMAIL_LEN} characters")));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let domain_ok =
            !domain.contains('@') && domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in ["a@b.co", "kick.sent+game@example.org", "X@Sub.Example.COM"] {
            assert!(Email::parse(ok).is_ok(), "{ok} was refused");
        }
        assert_eq!(Email::parse("X@Example.COM").unwrap().key(), "x@example.com");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in
            ["", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b..com", "a b@c.com", "a@b.com.", "a@.b.com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    proptest! {
        #[test]
        fn generated_addresses_parse(local in "[a-z0-9._+]{1,20}", domain in "[a-z0-9]{1,10}", tld in "[a-z]{2,6}") {
            let raw = format!("{local}@{domain}.{tld}");
            prop_assert!(Email::parse(&raw).is_ok());
        }

        #[test]
        fn never_panics(raw in "\\PC*") {
            let _ = Email::parse(&raw);
        }
    }
}
