//! The `[twitch]` section: credentials, where Twitch is, and the rules that
//! turn stream events into awards. The rules are checked against the stat
//! catalog by the Twitch module when the server starts.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwitchConfig {
    #[serde(deserialize_with = "text")]
    pub client_id: String,
    pub client_secret: Secret,
    /// Signs EventSub deliveries; 10-100 characters when set.
    pub eventsub_secret: Secret,
    #[serde(deserialize_with = "text")]
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
        // Twitch hands out no token for one without the other: every Twitch login would fail.
        if self.client_id.is_empty() != self.client_secret.is_empty() {
            return Err("twitch.client_id and twitch.client_secret go together (both from the Twitch developer \
                        console): give both, or neither to turn Log in with Twitch and Helix calls off"
                .into());
        }
        // A login here would match no event's broadcaster id: every event would be ignored, silently.
        for (key, id) in
            [("broadcaster_user_id", &self.broadcaster_user_id), ("chat.bot_user_id", &self.chat.bot_user_id)]
        {
            if !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "twitch.{key} is a numeric Twitch user id (as in 44429626), not a login: {id:?} \
                     (Twitch's Get Users answers the id for a login)"
                ));
            }
        }
        if !self.chat.bot_user_id.is_empty() {
            self.chat.check_words()?;
        }
        for redirect in &self.login_redirects {
            // A prefix a login may send the browser to: a URL, and not one that runs code.
            let url = reqwest::Url::parse(redirect)
                .map_err(|_| format!("twitch.login_redirects: {redirect:?} is not a URL (mygame://auth, https://…)"))?;
            if matches!(url.scheme(), "javascript" | "data" | "vbscript" | "file" | "blob") || url.cannot_be_a_base() {
                return Err(format!("twitch.login_redirects: {redirect:?} cannot be where a login sends the browser"));
            }
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
    #[serde(deserialize_with = "text")]
    pub bot_user_id: String,
    pub join: String,
    pub stats: String,
    pub rank: String,
}

impl ChatConfig {
    /// A command word is the first word of a message: one word, and each
    /// command its own (empty turns that command off).
    fn check_words(&self) -> Result<(), String> {
        let words = [("join", &self.join), ("stats", &self.stats), ("rank", &self.rank)];
        for (i, (key, word)) in words.iter().enumerate() {
            if word.split_whitespace().count() > 1 || word.trim() != word.as_str() {
                return Err(format!("twitch.chat.{key} is one word without spaces (as in \"!{key}\"), not {word:?}"));
            }
            if let Some((other, _)) =
                words[..i].iter().find(|(_, earlier)| !word.is_empty() && earlier.eq_ignore_ascii_case(word))
            {
                return Err(format!(
                    "twitch.chat.{other} and twitch.chat.{key} are both {word:?}: give each its own word"
                ));
            }
        }
        Ok(())
    }
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self { bot_user_id: String::new(), join: "!join".into(), stats: "!stats".into(), rank: "!rank".into() }
    }
}

/// Text that may be all digits: Twitch's user ids are, and an environment
/// variable holding one (`PLAYERBASE_TWITCH__BROADCASTER_USER_ID=44429626`)
/// reaches serde as a number.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Plain(String),
        Unsigned(u64),
        Signed(i64),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::Plain(text) => text,
        Text::Unsigned(n) => n.to_string(),
        Text::Signed(n) => n.to_string(),
    })
}

/// A configured secret: `Debug` never shows it, so it cannot reach a log.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(#[serde(deserialize_with = "text")] String);

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

    #[test]
    fn a_login_where_a_user_id_goes_is_refused() {
        let catalog = crate::domain::StatCatalog::from_specs(&crate::config::Config::default().stats).unwrap();
        for (broadcaster, bot) in [("streamer", ""), ("44429626", "mybot"), (" 44429626", "")] {
            let config = TwitchConfig {
                broadcaster_user_id: broadcaster.into(),
                chat: ChatConfig { bot_user_id: bot.into(), ..ChatConfig::default() },
                ..TwitchConfig::default()
            };
            let refused = config.validate(&catalog).expect_err(broadcaster);
            assert!(refused.contains("is a numeric Twitch user id"), "{refused}");
        }
        let fine = TwitchConfig {
            broadcaster_user_id: "44429626".into(),
            chat: ChatConfig { bot_user_id: "7".into(), ..ChatConfig::default() },
            ..TwitchConfig::default()
        };
        assert_eq!(fine.validate(&catalog), Ok(()));
        assert_eq!(TwitchConfig::default().validate(&catalog), Ok(()), "empty: not set");
    }

    #[test]
    fn chat_command_words_are_single_and_distinct() {
        let catalog = crate::domain::StatCatalog::from_specs(&crate::config::Config::default().stats).unwrap();
        let with = |join: &str, stats: &str| TwitchConfig {
            chat: ChatConfig {
                join: join.into(),
                stats: stats.into(),
                bot_user_id: "7".into(),
                ..ChatConfig::default()
            },
            ..TwitchConfig::default()
        };
        let refused = |config: TwitchConfig, expected: &str| {
            let err = config.validate(&catalog).expect_err(expected);
            assert!(err.contains(expected), "{err}");
        };
        refused(with("!x", "!X"), "twitch.chat.join and twitch.chat.stats are both \"!X\"");
        refused(with("!join now", "!stats"), "twitch.chat.join is one word");
        refused(with(" !join", "!stats"), "twitch.chat.join is one word");
        assert_eq!(with("", "").validate(&catalog), Ok(()), "empty words turn those commands off");
        assert_eq!(with("!play", "!me").validate(&catalog), Ok(()));
        let chat_off = TwitchConfig {
            chat: ChatConfig { bot_user_id: String::new(), ..with("!x", "!x").chat },
            ..with("!x", "!x")
        };
        assert_eq!(chat_off.validate(&catalog), Ok(()), "words are not checked while chat commands are off");
    }

    #[test]
    fn a_client_id_without_its_secret_is_refused_and_the_other_way_round() {
        let catalog = crate::domain::StatCatalog::from_specs(&crate::config::Config::default().stats).unwrap();
        let half = [
            TwitchConfig { client_id: "abc".into(), ..TwitchConfig::default() },
            TwitchConfig { client_secret: Secret::new("def"), ..TwitchConfig::default() },
        ];
        for config in half {
            let refused = config.validate(&catalog).expect_err("half a client");
            assert!(refused.contains("go together"), "{refused}");
        }
        let both =
            TwitchConfig { client_id: "abc".into(), client_secret: Secret::new("def"), ..TwitchConfig::default() };
        assert_eq!(both.validate(&catalog), Ok(()));
    }

    #[test]
    fn ids_and_secrets_may_be_given_as_numbers() {
        let config: TwitchConfig = toml::from_str(
            "broadcaster_user_id = 44429626\nclient_id = 12\neventsub_secret = 12345678901\n[chat]\nbot_user_id = 7\n",
        )
        .unwrap();
        assert_eq!((config.broadcaster_user_id.as_str(), config.client_id.as_str()), ("44429626", "12"));
        assert_eq!((config.eventsub_secret.expose(), config.chat.bot_user_id.as_str()), ("12345678901", "7"));
    }
}
