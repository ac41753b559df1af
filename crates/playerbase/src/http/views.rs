//! The JSON shapes players are shown in.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::{StatCatalog, StatDef};
use crate::profiles::Profile;
use crate::store::PlayerRecord;
use crate::timestamps::push_rfc3339;

/// A response for its caller only (a secret, an email): never kept by a
/// cache between the server and the game or browser.
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TwitchAccount {
    /// The Twitch identity; never changes.
    pub user_id: String,
    /// The current login; may change over time. Null until playerbase
    /// hears it from Twitch (a player an API key created with only a
    /// `twitch_user_id`, before the viewer's first event or Twitch login).
    pub login: Option<String>,
}

/// What anyone may see of a player.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "username": "kicksent", "created_at": "2026-12-04T19:30:02Z", "twitch": null,
    "stats": {"meleeAtkXp": 0, "mageAtkXp": 0}, "levels": {"meleeAtkXp": 1, "mageAtkXp": 1}}))]
pub struct PublicPlayer {
    pub id: i64,
    pub username: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub twitch: Option<TwitchAccount>,
    /// Every configured stat, by key, in configuration order.
    #[schema(value_type = HashMap<String, i64>)]
    pub stats: serde_json::Map<String, serde_json::Value>,
    /// The level of every stat that has a level curve.
    #[schema(value_type = HashMap<String, i64>)]
    pub levels: serde_json::Map<String, serde_json::Value>,
}

/// The player's own view: the public one and the email.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivatePlayer {
    #[serde(flatten)]
    pub public: PublicPlayer,
    pub email: Option<String>,
}

/// RFC 3339 in UTC to the second (`2026-12-04T19:30:02Z`); empty outside
/// the years 0–9999, as `time`'s `Rfc3339` would refuse them.
pub fn rfc3339(unix_seconds: i64) -> String {
    let Some(at) = rfc3339_time(unix_seconds) else { return String::new() };
    let mut text = Vec::with_capacity(20);
    push_rfc3339(&mut text, at, false);
    String::from_utf8(text).expect("digits and separators are ASCII")
}

/// The time of `unix_seconds` if RFC 3339 can write it (years 0–9999).
fn rfc3339_time(unix_seconds: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(unix_seconds).ok().filter(|at| (0..=9999).contains(&at.year()))
}

impl PublicPlayer {
    pub fn new(player: &PlayerRecord, catalog: &StatCatalog) -> Self {
        Self {
            id: player.id,
            username: player.username.clone(),
            created_at: rfc3339(player.created_at),
            twitch: player
                .twitch_user_id
                .clone()
                .map(|user_id| TwitchAccount { user_id, login: player.twitch_login.clone() }),
            stats: catalog.values(&player.stats),
            levels: catalog.levels(&player.stats),
        }
    }
}

impl PrivatePlayer {
    pub fn new(player: &PlayerRecord, catalog: &StatCatalog) -> Self {
        Self { public: PublicPlayer::new(player, catalog), email: player.email.clone() }
    }
}

/// A [`PublicPlayer`] rendered straight from the profile directory: the
/// same JSON, byte for byte, written into one buffer without building maps
/// of owned strings, and without serde's escaping of the stat keys, which
/// [`StatDef::from_spec`](crate::domain::StatDef::from_spec) limits to
/// `A-Z a-z 0-9 _`. This is the busiest read.
pub struct PublicProfile<'a> {
    id: i64,
    profile: &'a Profile<'a>,
    catalog: &'a StatCatalog,
}

impl<'a> PublicProfile<'a> {
    pub fn new(id: i64, profile: &'a Profile<'a>, catalog: &'a StatCatalog) -> Self {
        Self { id, profile, catalog }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        let Self { id, profile, catalog } = self;
        out.extend_from_slice(b"{\"id\":");
        push_int(out, *id);
        out.extend_from_slice(b",\"username\":");
        push_string(out, profile.username);
        out.extend_from_slice(b",\"created_at\":\"");
        if let Some(at) = rfc3339_time(profile.created_at) {
            push_rfc3339(out, at, false);
        }
        out.extend_from_slice(b"\",\"twitch\":");
        match profile.twitch_user_id {
            None => out.extend_from_slice(b"null"),
            Some(user_id) => {
                out.extend_from_slice(b"{\"user_id\":");
                push_string(out, user_id);
                out.extend_from_slice(b",\"login\":");
                match profile.twitch_login {
                    None => out.extend_from_slice(b"null"),
                    Some(login) => push_string(out, login),
                }
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"stats\":");
        push_stats(out, catalog.iter().zip(&profile.stats).map(|(def, &value)| (def, value)));
        out.extend_from_slice(b",\"levels\":");
        let levels = catalog.iter().zip(&profile.stats);
        push_stats(out, levels.filter_map(|(def, &value)| Some((def, def.levels.as_ref()?.level(value)))));
        out.push(b'}');
    }
}

impl IntoResponse for PublicProfile<'_> {
    /// Into a buffer of a profile's usual size: axum's `Json` starts at 128
    /// bytes and grows twice for one.
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(512);
        self.write_json(&mut body);
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
    }
}

/// A JSON object of stat keys (no escaping needed) and numbers.
fn push_stats<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a StatDef, i64)>) {
    out.push(b'{');
    for (i, (def, value)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(def.key.as_bytes());
        out.extend_from_slice(b"\":");
        push_int(out, value);
    }
    out.push(b'}');
}

fn push_int(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A string a player or Twitch chose, escaped by serde_json.
fn push_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing a string into a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_412_602), "2026-12-04T19:30:02Z");
        assert_eq!(rfc3339(-62_167_219_200), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(-62_167_219_201), "", "year -1");
        assert_eq!(rfc3339(253_402_300_800), "", "year 10000");
        assert_eq!(rfc3339(i64::MIN), "");
    }

    fn catalog() -> StatCatalog {
        let mut specs = crate::domain::stats::seed_stat_specs();
        specs[1].levels = None;
        specs[2].levels = Some(crate::domain::levels::LevelsSpec::Thresholds(vec![10, 100, 1000]));
        StatCatalog::from_specs(&specs).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn a_profile_from_the_directory_is_the_players_json_byte_for_byte(
            id in proptest::prelude::any::<i64>(),
            username in "(?s).{0,20}",
            created_at in -70_000_000_000_i64..260_000_000_000,
            twitch in proptest::option::of(("[0-9]{1,12}", proptest::option::of("[\"\\\\a-z_ é]{0,12}"))),
            stats in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::any::<i64>(), -11_i64..11, proptest::strategy::Just(i64::MIN), proptest::strategy::Just(i64::MAX)
            ], 10),
        ) {
            let catalog = catalog();
            let (twitch_user_id, twitch_login) = match &twitch {
                Some((user_id, login)) => (Some(user_id.as_str()), login.as_deref()),
                None => (None, None),
            };
            let profile = Profile { username: &username, created_at, twitch_user_id, twitch_login, stats: stats.clone() };
            let player = PlayerRecord {
                id,
                username: username.clone(),
                email: None,
                password_hash: None,
                twitch_user_id: twitch_user_id.map(Into::into),
                twitch_login: twitch_login.map(Into::into),
                created_at,
                stats: catalog.iter().map(|def| def.key.clone()).zip(stats).collect(),
            };
            let mut written = Vec::new();
            PublicProfile::new(id, &profile, &catalog).write_json(&mut written);
            let by_serde = serde_json::to_vec(&PublicPlayer::new(&player, &catalog)).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(by_serde).unwrap());
        }

        #[test]
        fn timestamps_match_the_time_crates_rfc3339(unix_seconds in -70_000_000_000_i64..260_000_000_000) {
            let by_time = OffsetDateTime::from_unix_timestamp(unix_seconds)
                .ok()
                .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            proptest::prop_assert_eq!(rfc3339(unix_seconds), by_time);
        }
    }
}
