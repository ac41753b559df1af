//! Is a delivery from Twitch, and fresh? The signature is HMAC-SHA256 over
//! message id ‖ timestamp ‖ raw body, keyed with the subscription secret;
//! the timestamp bounds replays. Pure: no clock, no I/O.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Twitch's replay window: older messages are refused. Messages this far
/// in the future are refused too, so a skewed clock cannot stretch it.
pub const MAX_AGE_SECONDS: i64 = 600;

const PREFIX: &str = "sha256=";

/// Whether `signature` (`sha256=` + hex) is the HMAC of the message under
/// `secret`. The comparison takes the same time wherever the bytes differ.
pub fn signature_matches(secret: &[u8], message_id: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex) = signature.strip_prefix(PREFIX) else { return false };
    let Some(expected) = decode_hex(hex) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(message_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature header Twitch would send; for tests and tools that sign.
pub fn sign(secret: &[u8], message_id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message_id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{hex}")
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    /// Older than the replay window.
    Stale,
    /// Further ahead than the window: a wrong clock or a forged time.
    Future,
}

/// Parses an RFC 3339 timestamp with 0–9 fractional digits into unix seconds.
pub fn parse_timestamp(raw: &str) -> Option<i64> {
    OffsetDateTime::parse(raw, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// An RFC 3339 time as unix milliseconds: Twitch's message timestamps carry
/// up to nine fractional digits, and a chat cooldown counts them.
pub fn parse_timestamp_ms(raw: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(raw, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

pub fn freshness(sent_at: i64, now: i64) -> Freshness {
    if now - sent_at > MAX_AGE_SECONDS {
        Freshness::Stale
    } else if sent_at - now > MAX_AGE_SECONDS {
        Freshness::Future
    } else {
        Freshness::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_take_zero_to_nine_fractional_digits() {
        let whole = parse_timestamp("2021-02-19T23:47:00Z").unwrap();
        assert_eq!(whole, 1_613_778_420);
        for raw in [
            "2021-02-19T23:47:00.8Z",
            "2021-02-19T23:47:00.813Z",
            "2021-02-19T23:47:00.8091512Z",
            "2021-02-19T23:47:00.637747359Z",
        ] {
            assert_eq!(parse_timestamp(raw), Some(whole), "{raw}");
        }
        for bad in ["", "yesterday", "2021-02-19T23:47:00", "2021-02-19T23:47:00.Z"] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
            assert_eq!(parse_timestamp_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn milliseconds_keep_the_fraction_and_drop_what_is_below_it() {
        let whole = 1_613_778_420_000;
        for (raw, ms) in [
            ("2021-02-19T23:47:00Z", whole),
            ("2021-02-19T23:47:00.8Z", whole + 800),
            ("2021-02-19T23:47:00.8091512Z", whole + 809),
            ("2021-02-19T23:47:00.999999999Z", whole + 999),
            ("1969-12-31T23:59:59.5Z", -500),
        ] {
            assert_eq!(parse_timestamp_ms(raw), Some(ms), "{raw}");
        }
    }

    #[test]
    fn the_window_is_ten_minutes_each_way() {
        assert_eq!(freshness(1000, 1000 + 600), Freshness::Fresh);
        assert_eq!(freshness(1000, 1000 + 601), Freshness::Stale);
        assert_eq!(freshness(1000 + 600, 1000), Freshness::Fresh);
        assert_eq!(freshness(1000 + 601, 1000), Freshness::Future);
    }

    #[test]
    fn signatures_round_trip_and_refuse_any_change() {
        let signature = sign(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{}");
        assert!(signature_matches(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{}", &signature));
        assert!(!signature_matches(b"0123456789", "id", "2021-02-19T23:47:01Z", b"{}", &signature));
        assert!(!signature_matches(b"0123456789", "id2", "2021-02-19T23:47:00Z", b"{}", &signature));
        assert!(!signature_matches(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{ }", &signature));
        assert!(!signature_matches(b"9876543210", "id", "2021-02-19T23:47:00Z", b"{}", &signature));
        assert!(!signature_matches(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{}", &signature[7..]));
        assert!(!signature_matches(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{}", "sha256=zz"));
        assert!(!signature_matches(b"0123456789", "id", "2021-02-19T23:47:00Z", b"{}", "sha256=abc"));
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn what_is_signed_verifies_and_any_change_does_not(
            secret in "[ -~]{10,100}",
            id in "[ -~]{0,40}",
            timestamp in "[ -~]{0,40}",
            body in prop::collection::vec(any::<u8>(), 0..300),
            flip in any::<prop::sample::Index>(),
        ) {
            let signature = sign(secret.as_bytes(), &id, &timestamp, &body);
            prop_assert!(signature_matches(secret.as_bytes(), &id, &timestamp, &body, &signature));
            let mut changed = body.clone();
            if changed.is_empty() {
                changed.push(b'x');
            } else {
                let at = flip.index(changed.len());
                changed[at] ^= 1;
            }
            prop_assert!(!signature_matches(secret.as_bytes(), &id, &timestamp, &changed, &signature));
        }

        #[test]
        fn any_header_text_is_checked_without_panicking(signature in "\\PC{0,80}", timestamp in "\\PC{0,40}") {
            let matched = signature_matches(b"secretabcd", "id", &timestamp, br#"{}"#, &signature);
            prop_assert!(!matched, "a made-up signature matched");
            let _ = parse_timestamp(&timestamp);
        }
    }
}
