//! The JSON Twitch sends: the envelope and the events playerbase acts on.
//! Fields playerbase does not use are left out; unknown fields are ignored.

use serde::{Deserialize, Deserializer};

/// The subscription types playerbase stores and applies; any other type is
/// acknowledged and dropped.
pub const KNOWN_TYPES: [&str; 8] =
    [FOLLOW, SUBSCRIBE, CHEER, REDEMPTION, RAID, CHAT_MESSAGE, STREAM_ONLINE, STREAM_OFFLINE];

pub const FOLLOW: &str = "channel.follow";
pub const SUBSCRIBE: &str = "channel.subscribe";
pub const CHEER: &str = "channel.cheer";
pub const REDEMPTION: &str = "channel.channel_points_custom_reward_redemption.add";
pub const RAID: &str = "channel.raid";
pub const CHAT_MESSAGE: &str = "channel.chat.message";
pub const STREAM_ONLINE: &str = "stream.online";
pub const STREAM_OFFLINE: &str = "stream.offline";

/// What the route reads of every delivery: the subscription it belongs to
/// and, for verifications, the challenge. The event is skipped unparsed
/// (it is read when the message is applied), which keeps a burst cheap.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub subscription: Subscription,
    #[serde(default)]
    pub challenge: Option<String>,
}

/// A stored notification's event, read as the type its subscription names.
#[derive(Debug, Deserialize)]
pub struct Notification<E> {
    pub event: E,
}

#[derive(Debug, Deserialize)]
pub struct Subscription {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
}

/// A Twitch user as events name them. Anonymous cheers carry null or `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwitchUser {
    pub id: String,
    pub login: String,
}

/// `user_id`/`user_login` with null or `""` meaning nobody.
fn user(id: Option<String>, login: Option<String>) -> Option<TwitchUser> {
    let id = id.filter(|id| !id.is_empty())?;
    Some(TwitchUser { id, login: login.unwrap_or_default().to_ascii_lowercase() })
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Follow, subscribe, cheer and redemption events name the viewer this way.
#[derive(Debug, Deserialize)]
pub struct UserEvent {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub user_login: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub broadcaster_user_id: String,
    /// Subscriptions: `"1000"`, `"2000"`, `"3000"`.
    #[serde(default)]
    pub tier: Option<String>,
    /// Cheers.
    #[serde(default)]
    pub bits: Option<i64>,
    /// Redemptions.
    #[serde(default)]
    pub reward: Option<Reward>,
}

impl UserEvent {
    pub fn user(&self) -> Option<TwitchUser> {
        user(self.user_id.clone(), self.user_login.clone())
    }
}

#[derive(Debug, Deserialize)]
pub struct Reward {
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct ChatEvent {
    #[serde(default, deserialize_with = "null_as_default")]
    pub broadcaster_user_id: String,
    pub chatter_user_id: Option<String>,
    pub chatter_user_login: Option<String>,
    pub message: ChatText,
}

impl ChatEvent {
    pub fn chatter(&self) -> Option<TwitchUser> {
        user(self.chatter_user_id.clone(), self.chatter_user_login.clone())
    }
}

#[derive(Debug, Deserialize)]
pub struct ChatText {
    #[serde(default, deserialize_with = "null_as_default")]
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct RaidEvent {
    pub from_broadcaster_user_id: Option<String>,
    pub from_broadcaster_user_login: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub to_broadcaster_user_id: String,
    #[serde(default)]
    pub viewers: i64,
}

impl RaidEvent {
    pub fn raider(&self) -> Option<TwitchUser> {
        user(self.from_broadcaster_user_id.clone(), self.from_broadcaster_user_login.clone())
    }
}

#[derive(Debug, Deserialize)]
pub struct StreamEvent {
    #[serde(default, deserialize_with = "null_as_default")]
    pub broadcaster_user_id: String,
    /// `stream.online`: Twitch's id of the stream.
    #[serde(default)]
    pub id: Option<String>,
    /// `stream.online`: RFC 3339.
    #[serde(default)]
    pub started_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_cheers_name_nobody_whether_null_or_empty() {
        for body in [
            r#"{"is_anonymous":true,"user_id":null,"user_login":null,"broadcaster_user_id":"1","bits":5}"#,
            r#"{"is_anonymous":true,"user_id":"","user_login":"","broadcaster_user_id":"1","bits":5}"#,
            r#"{"is_anonymous":true,"broadcaster_user_id":"1","bits":5}"#,
        ] {
            let event: UserEvent = serde_json::from_str(body).unwrap();
            assert_eq!(event.user(), None, "{body}");
        }
        let named: UserEvent = serde_json::from_str(r#"{"user_id":"7","user_login":"Kick","bits":5}"#).unwrap();
        assert_eq!(named.user(), Some(TwitchUser { id: "7".into(), login: "kick".into() }));
    }
}
