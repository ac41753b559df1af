//! The JSON shapes players are shown in.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::domain::StatCatalog;
use crate::profiles::Profile;
use crate::store::PlayerRecord;
use crate::timestamps::push_rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct TwitchAccount {
    /// The Twitch identity; never changes.
    pub user_id: String,
    /// The current login; may change over time.
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
    let Ok(at) = OffsetDateTime::from_unix_timestamp(unix_seconds) else { return String::new() };
    if !(0..=9999).contains(&at.year()) {
        return String::new();
    }
    let mut text = Vec::with_capacity(20);
    push_rfc3339(&mut text, at, false);
    String::from_utf8(text).expect("digits and separators are ASCII")
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
/// same JSON, without building maps of owned strings for every request.
#[derive(Serialize)]
pub struct PublicProfile<'a> {
    id: i64,
    username: &'a str,
    created_at: String,
    twitch: Option<TwitchAccountRef<'a>>,
    stats: StatValues<'a>,
    levels: StatLevels<'a>,
}

#[derive(Serialize)]
struct TwitchAccountRef<'a> {
    user_id: &'a str,
    login: Option<&'a str>,
}

/// Values in configuration order, as [`StatCatalog::values`] gives them.
struct StatValues<'a>(&'a StatCatalog, &'a [i64]);

/// Levels of the stats with a curve, as [`StatCatalog::levels`] gives them.
struct StatLevels<'a>(&'a StatCatalog, &'a [i64]);

impl<'a> PublicProfile<'a> {
    pub fn new(id: i64, profile: &'a Profile<'a>, catalog: &'a StatCatalog) -> Self {
        Self {
            id,
            username: profile.username,
            created_at: rfc3339(profile.created_at),
            twitch: profile.twitch_user_id.map(|user_id| TwitchAccountRef { user_id, login: profile.twitch_login }),
            stats: StatValues(catalog, &profile.stats),
            levels: StatLevels(catalog, &profile.stats),
        }
    }
}

impl IntoResponse for PublicProfile<'_> {
    /// Serialised into a buffer of a profile's usual size: axum's `Json`
    /// starts at 128 bytes and grows twice for one, on the busiest read.
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(512);
        serde_json::to_writer(&mut body, &self).expect("a profile is numbers and strings, which always serialise");
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
    }
}

impl Serialize for StatValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(catalog, values) = self;
        let mut map = serializer.serialize_map(Some(catalog.len()))?;
        for (def, value) in catalog.iter().zip(values.iter()) {
            map.serialize_entry(&def.key, value)?;
        }
        map.end()
    }
}

impl Serialize for StatLevels<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(catalog, values) = self;
        let mut map = serializer.serialize_map(None)?;
        for (def, &value) in catalog.iter().zip(values.iter()) {
            if let Some(curve) = &def.levels {
                map.serialize_entry(&def.key, &curve.level(value))?;
            }
        }
        map.end()
    }
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

    proptest::proptest! {
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
