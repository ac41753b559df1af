use super::Invalid;

/// Twitch user ids are decimal numbers sent as strings; 20 digits hold any u64.
const MAX_TWITCH_ID_LEN: usize = 20;

/// A Twitch account's identity: it never changes, unlike the login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwitchUserId(String);

impl TwitchUserId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.len() > MAX_TWITCH_ID_LEN || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid(format!("a Twitch user id is 1-{MAX_TWITCH_ID_LEN} digits")));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_digits_only() {
        assert_eq!(TwitchUserId::parse("44429626").unwrap().as_str(), "44429626");
        for bad in ["", "12a", " 1", "-5", "123456789012345678901"] {
            assert!(TwitchUserId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    proptest! {
        #[test]
        fn every_u64_is_an_id(n in any::<u64>()) {
            prop_assert!(TwitchUserId::parse(&n.to_string()).is_ok());
        }
    }
}
