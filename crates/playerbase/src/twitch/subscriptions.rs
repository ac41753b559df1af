//! Which EventSub subscriptions the configuration needs, with the version
//! and condition Twitch expects for each type (TWITCH.md).

use serde_json::{Value, json};

use crate::config::TwitchConfig;

/// One subscription to create.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub kind: &'static str,
    pub version: &'static str,
    pub condition: Value,
}

/// Stream periods need these whatever the rules say.
const ALWAYS: [&str; 2] = ["stream.online", "stream.offline"];
/// The event types a rule may name.
pub const RULE_EVENTS: [&str; 6] = [
    "channel.follow",
    "channel.subscribe",
    "channel.cheer",
    "channel.channel_points_custom_reward_redemption.add",
    "channel.raid",
    "channel.chat.message",
];
const CHAT: &str = "channel.chat.message";

/// `stream.online` and `stream.offline`, one subscription per event type the
/// rules name, and `channel.chat.message` when chat commands are on
/// (`twitch.chat.bot_user_id` set). Errs on an event type no rule can use.
pub fn wanted(config: &TwitchConfig) -> Result<Vec<Wanted>, String> {
    let mut kinds: Vec<&str> = ALWAYS.to_vec();
    for rule in &config.rules {
        let kind = RULE_EVENTS
            .iter()
            .find(|&&known| known == rule.event)
            .ok_or_else(|| format!("no EventSub subscription is known for the rule event {:?}", rule.event))?;
        kinds.push(kind);
    }
    if !config.chat.bot_user_id.is_empty() {
        kinds.push(CHAT);
    }
    let mut seen = Vec::new();
    kinds.retain(|kind| {
        let first = !seen.contains(kind);
        seen.push(*kind);
        first
    });
    Ok(kinds.into_iter().map(|kind| subscription(kind, config)).collect())
}

fn subscription(kind: &'static str, config: &TwitchConfig) -> Wanted {
    let broadcaster = config.broadcaster_user_id.as_str();
    let (version, condition) = match kind {
        // v2 needs a moderator: the broadcaster, whose authorisation the app token carries.
        "channel.follow" => ("2", json!({"broadcaster_user_id": broadcaster, "moderator_user_id": broadcaster})),
        // Raids into the channel: the raider is the one awarded.
        "channel.raid" => ("1", json!({"to_broadcaster_user_id": broadcaster})),
        // Read as the bot (user:read:chat, user:bot; channel:bot from the broadcaster),
        // or as the broadcaster when there is no bot.
        "channel.chat.message" => {
            let reader = if config.chat.bot_user_id.is_empty() { broadcaster } else { &config.chat.bot_user_id };
            ("1", json!({"broadcaster_user_id": broadcaster, "user_id": reader}))
        }
        _ => ("1", json!({"broadcaster_user_id": broadcaster})),
    };
    Wanted { kind, version, condition }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ChatConfig, RuleSpec};

    fn rule(event: &str) -> RuleSpec {
        RuleSpec { event: event.into(), stat: "meleeAtkXp".into(), amount: Some(1), ..RuleSpec::default() }
    }

    #[test]
    fn stream_events_always_then_each_rule_event_once() {
        let config = TwitchConfig {
            broadcaster_user_id: "44429626".into(),
            rules: vec![rule("channel.cheer"), rule("channel.follow"), rule("channel.cheer"), rule("channel.raid")],
            ..TwitchConfig::default()
        };
        let kinds: Vec<(&str, &str)> = wanted(&config).unwrap().iter().map(|w| (w.kind, w.version)).collect();
        assert_eq!(
            kinds,
            [
                ("stream.online", "1"),
                ("stream.offline", "1"),
                ("channel.cheer", "1"),
                ("channel.follow", "2"),
                ("channel.raid", "1")
            ]
        );
        let all = wanted(&config).unwrap();
        assert_eq!(all[3].condition, json!({"broadcaster_user_id": "44429626", "moderator_user_id": "44429626"}));
        assert_eq!(all[4].condition, json!({"to_broadcaster_user_id": "44429626"}));
    }

    #[test]
    fn chat_commands_read_chat_as_the_bot() {
        let config = TwitchConfig {
            broadcaster_user_id: "44429626".into(),
            chat: ChatConfig { bot_user_id: "12826".into(), ..ChatConfig::default() },
            ..TwitchConfig::default()
        };
        let all = wanted(&config).unwrap();
        assert_eq!(all.last().unwrap().kind, "channel.chat.message");
        assert_eq!(all.last().unwrap().condition, json!({"broadcaster_user_id": "44429626", "user_id": "12826"}));
        let without_bot = TwitchConfig {
            rules: vec![rule("channel.chat.message")],
            ..TwitchConfig { chat: ChatConfig::default(), ..config }
        };
        assert_eq!(wanted(&without_bot).unwrap()[2].condition["user_id"], "44429626");
    }

    #[test]
    fn an_unknown_rule_event_is_an_error() {
        let config = TwitchConfig { rules: vec![rule("channel.hype_train.begin")], ..TwitchConfig::default() };
        assert!(wanted(&config).unwrap_err().contains("channel.hype_train.begin"));
    }
}
