//! What a stored notification means for playerbase: which viewers it
//! names, what the rules award them, whether it moves the stream, whether
//! it is a chat command. Pure, so every event type is tested without I/O.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::accounts::viewers::Viewer;
use crate::awards::{Answer, Award, AwardJob, Cooldown, FromTwitch, PlayerRef};
use crate::config::ChatConfig;
use crate::store::twitch::PendingMessage;
use crate::twitch::chat::commands::{self, Command};
use crate::twitch::eventsub::message::{self, ChatEvent, Notification, RaidEvent, StreamEvent, TwitchUser, UserEvent};
use crate::twitch::eventsub::verify::parse_timestamp;
use crate::twitch::rules::{Occurrence, Rules};

/// The configuration translation needs.
pub struct Context<'a> {
    pub rules: &'a Rules,
    /// Events of other channels are ignored; empty accepts any.
    pub broadcaster_user_id: &'a str,
    pub chat: &'a ChatConfig,
}

#[derive(Debug)]
pub enum Translation {
    /// Awards (possibly none) and viewers, applied with the message marked.
    Job(AwardJob),
    /// A chat command: the job (which makes a `!join`er a player) and, for
    /// `!stats`/`!rank`, the question to answer once it is applied.
    Command(AwardJob, Question),
    Stream(StreamChange),
}

/// A chat command waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub broadcaster_user_id: String,
    pub chatter: TwitchUser,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamChange {
    Online { stream_id: String, started_at: i64 },
    Offline { at: i64 },
}

/// When the last warning about another channel's event was logged, unix seconds.
static LAST_WARNED: AtomicI64 = AtomicI64::new(i64::MIN / 2);
const WARN_EVERY: i64 = 60;

/// Whether a minute has passed since the last warning (and this one is it).
fn warn_now() -> bool {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let last = LAST_WARNED.load(Ordering::Relaxed);
    now >= last + WARN_EVERY && LAST_WARNED.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
}

pub fn translate(message: &PendingMessage, cx: &Context<'_>) -> Translation {
    let mut job = AwardJob {
        awards: Vec::new(),
        answer: Answer::Applied,
        source: format!("twitch:{}", message.subscription_type),
        reason: None,
        claim: None,
        twitch: Some(FromTwitch { message_id: message.message_id.clone(), viewers: Vec::new(), cooldowns: Vec::new() }),
    };
    let ours = |broadcaster: &str| {
        let ours = cx.broadcaster_user_id.is_empty() || cx.broadcaster_user_id == broadcaster;
        if !ours {
            // Said, not only skipped: a wrong twitch.broadcaster_user_id would otherwise look like a quiet channel.
            // Once a minute at most: a busy chat would fill the log.
            if warn_now() {
                tracing::warn!(
                    subscription_type = %message.subscription_type,
                    channel = broadcaster,
                    configured = cx.broadcaster_user_id,
                    "an EventSub event of another channel than twitch.broadcaster_user_id was ignored \
                     (said once a minute at most)"
                );
            }
        }
        ours
    };
    let body = &message.body;
    match message.subscription_type.as_str() {
        message::STREAM_ONLINE | message::STREAM_OFFLINE => {
            let Some(event) = read::<StreamEvent>(body, message) else { return Translation::Job(job) };
            if !ours(&event.broadcaster_user_id) {
                return Translation::Job(job);
            }
            let change = if message.subscription_type == message::STREAM_ONLINE {
                let started_at = event.started_at.as_deref().and_then(parse_timestamp).unwrap_or(message.sent_at());
                StreamChange::Online { stream_id: event.id.unwrap_or_default(), started_at }
            } else {
                StreamChange::Offline { at: message.sent_at() }
            };
            Translation::Stream(change)
        }
        message::CHAT_MESSAGE => {
            let Some(event) = read::<ChatEvent>(body, message) else { return Translation::Job(job) };
            let Some(chatter) = event.chatter() else { return Translation::Job(job) };
            if !ours(&event.broadcaster_user_id) || chatter.id == cx.chat.bot_user_id {
                return Translation::Job(job);
            }
            if let Some(command) = commands::parse(&event.message.text, cx.chat) {
                if command == Command::Join {
                    add_viewer(&mut job, &chatter);
                }
                let question = Question { broadcaster_user_id: event.broadcaster_user_id, chatter, command };
                return Translation::Command(job, question);
            }
            Translation::Job(award(job, &chatter, cx.rules, Occurrence::Chat, message))
        }
        message::RAID => {
            let Some(event) = read::<RaidEvent>(body, message) else { return Translation::Job(job) };
            let Some(raider) = event.raider() else { return Translation::Job(job) };
            if !ours(&event.to_broadcaster_user_id) {
                return Translation::Job(job);
            }
            Translation::Job(award(job, &raider, cx.rules, Occurrence::Raid { viewers: event.viewers }, message))
        }
        _ => {
            let Some(event) = read::<UserEvent>(body, message) else { return Translation::Job(job) };
            // Anonymous cheers name nobody: acknowledged, nobody awarded.
            let Some(user) = event.user() else { return Translation::Job(job) };
            if !ours(&event.broadcaster_user_id) {
                return Translation::Job(job);
            }
            let occurrence = match message.subscription_type.as_str() {
                message::FOLLOW => Occurrence::Follow,
                message::SUBSCRIBE => Occurrence::Subscribe { tier: event.tier.as_deref() },
                message::CHEER => Occurrence::Cheer { bits: event.bits.unwrap_or(0) },
                message::REDEMPTION => match &event.reward {
                    Some(reward) => Occurrence::Redemption { reward_id: &reward.id, reward_title: &reward.title },
                    None => return Translation::Job(job),
                },
                _ => return Translation::Job(job),
            };
            Translation::Job(award(job, &user, cx.rules, occurrence, message))
        }
    }
}

/// The event of a stored message; none (and a warning) if it cannot be read.
fn read<E: serde::de::DeserializeOwned>(body: &str, message: &PendingMessage) -> Option<E> {
    match serde_json::from_str::<Notification<E>>(body) {
        Ok(notification) => Some(notification.event),
        Err(err) => {
            tracing::warn!(message_id = %message.message_id, error = %err, "an unreadable EventSub event is skipped");
            None
        }
    }
}

fn add_viewer(job: &mut AwardJob, user: &TwitchUser) {
    let twitch = job.twitch.as_mut().expect("EventSub jobs carry their message");
    twitch.viewers.push(Viewer { twitch_user_id: user.id.clone(), login: user.login.clone() });
}

/// The viewer becomes a player and earns what the rules give `occurrence`.
fn award(
    mut job: AwardJob,
    user: &TwitchUser,
    rules: &Rules,
    occurrence: Occurrence<'_>,
    message: &PendingMessage,
) -> AwardJob {
    add_viewer(&mut job, user);
    let twitch = job.twitch.as_mut().expect("EventSub jobs carry their message");
    for earned in rules.earned(occurrence) {
        job.awards.push(Award { player: PlayerRef::Twitch(user.id.clone()), stat: earned.stat, amount: earned.amount });
        twitch.cooldowns.push(earned.cooldown.map(|(rule, seconds)| Cooldown {
            key: (user.id.clone(), rule),
            at_ms: message.sent_at_ms,
            seconds,
        }));
    }
    job
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::config::RuleSpec;
    use crate::domain::StatCatalog;
    use crate::domain::stats::seed_stat_specs;

    const TYPES: [&str; 9] = [
        "channel.follow",
        "channel.subscribe",
        "channel.cheer",
        "channel.channel_points_custom_reward_redemption.add",
        "channel.raid",
        "channel.chat.message",
        "stream.online",
        "stream.offline",
        "channel.unknown",
    ];

    fn rules() -> Rules {
        let rule = |event: &str| RuleSpec { event: event.into(), stat: "meleeAtkXp".into(), ..RuleSpec::default() };
        let specs = vec![
            RuleSpec { amount: Some(5), ..rule("channel.follow") },
            RuleSpec { amount: Some(7), ..rule("channel.subscribe") },
            RuleSpec { per_bit: Some(2), ..rule("channel.cheer") },
            RuleSpec { amount: Some(3), reward: Some("Hydrate".into()), ..rule(TYPES[3]) },
            RuleSpec { amount: Some(9), per_viewer: Some(1), ..rule("channel.raid") },
            RuleSpec { amount: Some(1), cooldown_seconds: Some(60), ..rule("channel.chat.message") },
        ];
        Rules::compile(&specs, &StatCatalog::from_specs(&seed_stat_specs()).unwrap()).unwrap()
    }

    /// JSON-ish bodies: real field names with values of any type, nested.
    fn body() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            Just("null".to_owned()),
            "-?[0-9]{1,25}",
            "\"[^\"\\\\]{0,12}\"",
            Just("{}".to_owned()),
            Just("[]".to_owned()),
            Just("true".to_owned()),
        ];
        let key = prop::sample::select(vec![
            "user_id",
            "user_login",
            "chatter_user_id",
            "chatter_user_login",
            "bits",
            "tier",
            "viewers",
            "from_broadcaster_user_id",
            "from_broadcaster_user_login",
            "broadcaster_user_id",
            "is_anonymous",
            "reward",
            "message",
            "text",
            "started_at",
            "id",
            "title",
        ]);
        prop::collection::vec((key, value), 0..8).prop_map(|fields| {
            let inner: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            format!("{{\"subscription\":{{}},\"event\":{{{}}}}}", inner.join(","))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_stored_body_translates_without_panicking(
            kind in prop::sample::select(TYPES.to_vec()),
            body in prop_oneof![body(), "\\PC{0,200}"],
        ) {
            let rules = rules();
            let chat = ChatConfig::default();
            let cx = Context { rules: &rules, broadcaster_user_id: "", chat: &chat };
            let message = PendingMessage {
                id: 1,
                message_id: "m".into(),
                subscription_type: kind.to_owned(),
                body,
                sent_at_ms: 0,
            };
            let _ = translate(&message, &cx);
        }
    }
}
