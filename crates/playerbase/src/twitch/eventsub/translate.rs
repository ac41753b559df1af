//! What a stored notification means for playerbase: which viewers it
//! names, what the rules award them, whether it moves the stream, whether
//! it is a chat command. Pure, so every event type is tested without I/O.

use crate::accounts::viewers::Viewer;
use crate::awards::{Answer, Award, AwardJob, Cooldown, FromTwitch, PlayerRef};
use crate::config::ChatConfig;
use crate::store::twitch::PendingMessage;
use crate::twitch::chat::commands::{self, Command};
use crate::twitch::eventsub::message::{
    self, ChatEvent, Envelope, RaidEvent, StreamEvent, TwitchUser, UserEvent,
};
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

pub fn translate(message: &PendingMessage, cx: &Context<'_>) -> Translation {
    let mut job = AwardJob {
        awards: Vec::new(),
        answer: Answer::Applied,
        source: format!("twitch:{}", message.subscription_type),
        reason: None,
        claim: None,
        twitch: Some(FromTwitch { message_id: message.message_id.clone(), viewers: Vec::new(), cooldowns: Vec::new() }),
    };
    let event = match serde_json::from_str::<Envelope>(&message.body) {
        Ok(Envelope { event: Some(event), .. }) => event,
        _ => {
            tracing::warn!(message_id = %message.message_id, "an EventSub message without a readable event is skipped");
            return Translation::Job(job);
        }
    };
    let ours = |broadcaster: &str| cx.broadcaster_user_id.is_empty() || cx.broadcaster_user_id == broadcaster;
    let parse = |what| {
        tracing::warn!(message_id = %message.message_id, "an unreadable {what} event is skipped");
    };
    let (user, occurrence) = match message.subscription_type.as_str() {
        message::STREAM_ONLINE | message::STREAM_OFFLINE => {
            let Ok(event) = serde_json::from_value::<StreamEvent>(event) else {
                parse("stream");
                return Translation::Job(job);
            };
            if !ours(&event.broadcaster_user_id) {
                return Translation::Job(job);
            }
            let change = if message.subscription_type == message::STREAM_ONLINE {
                let started_at = event.started_at.as_deref().and_then(parse_timestamp).unwrap_or(message.sent_at);
                StreamChange::Online { stream_id: event.id.unwrap_or_default(), started_at }
            } else {
                StreamChange::Offline { at: message.sent_at }
            };
            return Translation::Stream(change);
        }
        message::CHAT_MESSAGE => {
            let Ok(event) = serde_json::from_value::<ChatEvent>(event) else {
                parse("chat");
                return Translation::Job(job);
            };
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
            (chatter, Occurrence::Chat)
        }
        message::RAID => {
            let Ok(event) = serde_json::from_value::<RaidEvent>(event) else {
                parse("raid");
                return Translation::Job(job);
            };
            let Some(raider) = event.raider() else { return Translation::Job(job) };
            if !ours(&event.to_broadcaster_user_id) {
                return Translation::Job(job);
            }
            return Translation::Job(award(job, &raider, cx.rules, Occurrence::Raid { viewers: event.viewers }, message));
        }
        _ => {
            let Ok(event) = serde_json::from_value::<UserEvent>(event) else {
                parse("viewer");
                return Translation::Job(job);
            };
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
            return Translation::Job(award(job, &user, cx.rules, occurrence, message));
        }
    };
    Translation::Job(award(job, &user, cx.rules, occurrence, message))
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
            at: message.sent_at,
            seconds,
        }));
    }
    job
}
