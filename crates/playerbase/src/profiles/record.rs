//! One player's public profile in a few dozen bytes: integers as varints,
//! strings as length and bytes. A million players fit in ~60 MiB this way,
//! where `String`s and a `HashMap` of stats per player would take ~400.

/// What anyone may see of a player, borrowed from an encoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile<'a> {
    pub username: &'a str,
    pub created_at: i64,
    pub twitch_user_id: Option<&'a str>,
    pub twitch_login: Option<&'a str>,
    /// Every configured stat in configuration order, defaults filled in.
    pub stats: Vec<i64>,
}

/// Appends the record of `profile` to `out`.
pub fn encode(profile: &Profile<'_>, out: &mut Vec<u8>) {
    put_int(out, profile.created_at);
    put_str(out, profile.username);
    match (profile.twitch_user_id, profile.twitch_login) {
        (None, _) => out.push(0),
        (Some(user_id), None) => {
            out.push(1);
            put_str(out, user_id);
        }
        (Some(user_id), Some(login)) => {
            out.push(2);
            put_str(out, user_id);
            put_str(out, login);
        }
    }
    for &value in &profile.stats {
        put_int(out, value);
    }
}

/// Reads the record at the start of `bytes` (which may go on past it) and
/// returns it with its length. `stats` is how many stats the record holds.
/// Records come only from [`encode`]; anything else is a bug, hence the panics.
pub fn decode(bytes: &[u8], stats: usize) -> (Profile<'_>, usize) {
    let mut at = 0;
    let created_at = get_int(bytes, &mut at);
    let username = get_str(bytes, &mut at);
    let tag = bytes[at];
    at += 1;
    let twitch_user_id = (tag >= 1).then(|| get_str(bytes, &mut at));
    let twitch_login = (tag == 2).then(|| get_str(bytes, &mut at));
    let stats = (0..stats).map(|_| get_int(bytes, &mut at)).collect();
    (Profile { username, created_at, twitch_user_id, twitch_login, stats }, at)
}

/// The length of the record at the start of `bytes`, as [`decode`] gives it,
/// without decoding: measuring a record is on every profile read.
pub fn len(bytes: &[u8], stats: usize) -> usize {
    let mut at = 0;
    skip_int(bytes, &mut at); // created_at
    skip_str(bytes, &mut at); // username
    let tag = bytes[at];
    at += 1;
    for _ in 0..tag {
        skip_str(bytes, &mut at);
    }
    for _ in 0..stats {
        skip_int(bytes, &mut at);
    }
    at
}

fn skip_int(bytes: &[u8], at: &mut usize) {
    while bytes[*at] >= 0x80 {
        *at += 1;
    }
    *at += 1;
}

fn skip_str(bytes: &[u8], at: &mut usize) {
    let len = get_int(bytes, at) as usize;
    *at += len;
}

fn put_int(out: &mut Vec<u8>, value: i64) {
    // Zigzag: small magnitudes of either sign take few bytes.
    let mut rest = ((value << 1) ^ (value >> 63)) as u64;
    while rest >= 0x80 {
        out.push((rest as u8) | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

fn get_int(bytes: &[u8], at: &mut usize) -> i64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_int(out, text.len() as i64);
    out.extend_from_slice(text.as_bytes());
}

fn get_str<'a>(bytes: &'a [u8], at: &mut usize) -> &'a str {
    let len = get_int(bytes, at) as usize;
    let text = std::str::from_utf8(&bytes[*at..*at + len]).expect("records hold UTF-8 written by encode");
    *at += len;
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn round_trip(profile: &Profile<'_>) {
        let mut bytes = vec![7, 7];
        encode(profile, &mut bytes);
        let len = bytes.len() - 2;
        // Trailing bytes (the next record, or padding) must not be read.
        bytes.extend_from_slice(&[0xff, 0xff, 0xff]);
        assert_eq!(decode(&bytes[2..], profile.stats.len()), (profile.clone(), len));
        assert_eq!(super::len(&bytes[2..], profile.stats.len()), len);
    }

    #[test]
    fn extremes_and_every_twitch_shape_survive() {
        for (twitch_user_id, twitch_login) in [(None, None), (Some("12345"), None), (Some("12345"), Some("kicksent"))] {
            round_trip(&Profile {
                username: "Ünïcode_name",
                created_at: 1_796_412_602,
                twitch_user_id,
                twitch_login,
                stats: vec![0, 1, -1, i64::MAX, i64::MIN, 4_999_999],
            });
        }
    }

    proptest! {
        #[test]
        fn any_profile_survives(
            username in "\\PC{0,40}",
            created_at in any::<i64>(),
            twitch_user_id in proptest::option::of("[0-9]{1,20}"),
            twitch_login in proptest::option::of("[a-z0-9_]{1,25}"),
            stats in proptest::collection::vec(any::<i64>(), 0..20),
        ) {
            let twitch_login = twitch_user_id.as_ref().and(twitch_login.as_deref());
            round_trip(&Profile {
                username: &username,
                created_at,
                twitch_user_id: twitch_user_id.as_deref(),
                twitch_login,
                stats,
            });
        }
    }
}
