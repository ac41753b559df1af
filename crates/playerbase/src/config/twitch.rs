//! The `[twitch]` section: credentials, where Twitch is, and the rules that
//! turn stream events into awards. The rules are checked against the stat
//! catalog by the Twitch module when the server starts.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwitchConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// Signs EventSub deliveries; 10-100 characters when set.
    pub eventsub_secret: Secret,
    pub broadcaster_user_id: String,
    pub oauth_url: String,
    pub helix_url: String,
    /// Where "Log in with Twitch" may send the browser afterwards (`redirect=`),
    /// besides `public_url`: URL prefixes such as `https://game.example/` or
    /// `mygame://auth`. Anything else is refused, so the login is no open redirect.
    pub login_redirects: Vec<String>,
    pub rules: Vec<RuleSpec>,
    pub chat: ChatConfig,
}

impl Default for TwitchConfig {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret: Secret::default(),
            eventsub_secret: Secret::default(),
            broadcaster_user_id: String::new(),
            oauth_url: "https://id.twitch.tv/oauth2".into(),
            helix_url: "https://api.twitch.tv/helix".into(),
            login_redirects: Vec::new(),
            rules: Vec::new(),
            chat: ChatConfig::default(),
        }
    }
}

/// Twitch's bounds on an EventSub subscription secret.
const SECRET_LENGTH: std::ops::RangeInclusive<usize> = 10..=100;

impl TwitchConfig {
    /// The secret's length, and the rules against the stat catalog.
    pub fn validate(&self, catalog: &crate::domain::StatCatalog) -> Result<(), String> {
        let secret = self.eventsub_secret.expose().chars().count();
        if secret != 0 && !SECRET_LENGTH.contains(&secret) {
            return Err(format!(
                "twitch.eventsub_secret must be {}-{} characters (it has {secret}), or empty to turn EventSub off",
                SECRET_LENGTH.start(),
                SECRET_LENGTH.end()
            ));
        }
        crate::twitch::rules::Rules::compile(&self.rules, catalog)?;
        Ok(())
    }
}

/// One `[[twitch.rules]]` entry as written; which fields apply depends on `event`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub event: String,
    pub stat: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_bit: Option<i64>,
    /// Redemptions: the reward's title or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward: Option<String>,
    /// Chat: at most one award per chatter per cooldown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_seconds: Option<u64>,
    /// Subscriptions: only this tier (`"1000"`, `"2000"`, `"3000"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Raids: awarded to the raiding broadcaster for each viewer brought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_viewer: Option<i64>,
}

/// Chat commands, answered through Helix Send Chat Message.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatConfig {
    /// The account that speaks; empty turns the answers off.
    pub bot_user_id: String,
    pub join: String,
    pub stats: String,
    pub rank: String,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self { bot_user_id: String::new(), join: "!join".into(), stats: "!stats".into(), rank: "!rank".into() }
    }
}

/// A configured secret: `Debug` never shows it, so it cannot reach a log.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(empty)" } else { "Secret(…)" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = TwitchConfig { client_secret: Secret::new("hunter2hunter2"), ..TwitchConfig::default() };
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.client_secret.expose(), "hunter2hunter2");
    }
}
