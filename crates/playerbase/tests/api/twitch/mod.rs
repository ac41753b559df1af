//! `POST /api/v1/twitch/eventsub`: signed deliveries as Twitch sends them,
//! the rules they award by, viewers becoming players, stream periods, chat
//! commands, and a raid-sized burst.

mod burst;
mod commands;
mod delivery;
mod events;
mod stream;
mod verify;
mod viewers;

use axum::http::Method;
use playerbase::Config;
use playerbase::config::{RuleSpec, Secret};
use playerbase::twitch::eventsub::verify::sign;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{Reply, TestApp};

pub const SECRET: &str = "s3cr3t-for-the-tests";
pub const BROADCASTER: &str = "1000";

fn rule(event: &str, stat: &str) -> RuleSpec {
    RuleSpec { event: event.into(), stat: stat.into(), ..RuleSpec::default() }
}

/// One rule of every kind, each on its own stat so a test can tell them apart.
pub fn config() -> Config {
    let mut config = Config::default();
    config.twitch.eventsub_secret = Secret::new(SECRET);
    config.twitch.broadcaster_user_id = BROADCASTER.into();
    config.twitch.rules = vec![
        RuleSpec { amount: Some(10), ..rule("channel.follow", "shieldXp") },
        RuleSpec { amount: Some(100), ..rule("channel.subscribe", "healthXp") },
        RuleSpec { amount: Some(200), tier: Some("3000".into()), ..rule("channel.subscribe", "healthXp") },
        RuleSpec { per_bit: Some(2), ..rule("channel.cheer", "mageAtkXp") },
        RuleSpec {
            amount: Some(25),
            reward: Some("Hydrate".into()),
            ..rule("channel.channel_points_custom_reward_redemption.add", "evasionXp")
        },
        RuleSpec {
            amount: Some(7),
            reward: Some("reward-id-42".into()),
            ..rule("channel.channel_points_custom_reward_redemption.add", "evasionXp")
        },
        RuleSpec { amount: Some(50), per_viewer: Some(2), ..rule("channel.raid", "rangeAtkXp") },
        RuleSpec { amount: Some(1), cooldown_seconds: Some(60), ..rule("channel.chat.message", "speedXp") },
    ];
    config
}

pub async fn app() -> TestApp {
    TestApp::with_config(config()).await
}

/// The time as Twitch writes it, with nanoseconds.
pub fn timestamp(unix_seconds: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap() + time::Duration::nanoseconds(637_747_359);
    at.format(&Rfc3339).unwrap()
}

/// A notification's body: the subscription and the event.
pub fn notification(kind: &str, event: Value) -> Value {
    json!({
        "subscription": {
            "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "status": "enabled", "type": kind, "version": "1",
            "cost": 0, "condition": {"broadcaster_user_id": BROADCASTER},
            "transport": {"method": "webhook", "callback": "https://example.com/api/v1/twitch/eventsub"},
            "created_at": "2026-12-04T19:30:02.123Z"
        },
        "event": event
    })
}

/// Delivers `body` as Twitch would, signed with `secret`.
pub async fn deliver_signed(
    t: &TestApp,
    message_type: &str,
    message_id: &str,
    timestamp: &str,
    body: &[u8],
    secret: &str,
) -> Reply {
    let signature = sign(secret.as_bytes(), message_id, timestamp, body);
    let headers = [
        ("Twitch-Eventsub-Message-Id", message_id),
        ("Twitch-Eventsub-Message-Retry", "0"),
        ("Twitch-Eventsub-Message-Type", message_type),
        ("Twitch-Eventsub-Message-Signature", signature.as_str()),
        ("Twitch-Eventsub-Message-Timestamp", timestamp),
        ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
        ("Twitch-Eventsub-Subscription-Version", "1"),
    ];
    t.send_with(Method::POST, "/api/v1/twitch/eventsub", &headers, Some(body.to_vec())).await
}

/// A fresh notification with message id `message_id`; asserts it was acknowledged.
pub async fn notify_as(t: &TestApp, message_id: &str, kind: &str, event: Value) {
    let body = notification(kind, event).to_string();
    let now = timestamp(t.state.clock.now());
    let reply = deliver_signed(t, "notification", message_id, &now, body.as_bytes(), SECRET).await;
    assert_eq!(reply.status, 204, "{kind}: {}", String::from_utf8_lossy(&reply.raw));
}

/// A fresh notification with a new message id.
pub async fn notify(t: &TestApp, kind: &str, event: Value) -> String {
    let message_id = uuid::Uuid::new_v4().to_string();
    notify_as(t, &message_id, kind, event).await;
    message_id
}

/// Applies everything delivered so far.
pub async fn settle(t: &TestApp) {
    t.state.eventsub.settle().await;
}

/// A viewer-named event (follow, subscribe, cheer, redemption) with `extra` fields.
pub fn by_viewer(id: &str, login: &str, extra: Value) -> Value {
    let mut event = json!({
        "user_id": id, "user_login": login, "user_name": login.to_uppercase(),
        "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer",
    });
    event.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    event
}

pub fn chat(id: &str, login: &str, text: &str) -> Value {
    json!({
        "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer",
        "chatter_user_id": id, "chatter_user_login": login, "chatter_user_name": login,
        "message_id": uuid::Uuid::new_v4().to_string(),
        "message": {"text": text, "fragments": [{"type": "text", "text": text, "cheermote": null, "emote": null, "mention": null}]},
        "color": "#00FF7F", "badges": [], "message_type": "text", "cheer": null, "reply": null,
        "channel_points_custom_reward_id": null
    })
}

/// The player linked to a Twitch id (404 is a panic).
pub async fn viewer(t: &TestApp, twitch_user_id: &str) -> Value {
    let reply = t.get(&format!("/api/v1/players/by-twitch/{twitch_user_id}")).await;
    assert_eq!(reply.status, 200, "no player for Twitch id {twitch_user_id}: {}", reply.body);
    reply.body
}

pub async fn is_viewer(t: &TestApp, twitch_user_id: &str) -> bool {
    t.get(&format!("/api/v1/players/by-twitch/{twitch_user_id}")).await.status == 200
}

/// A player's ledger, newest first.
pub async fn ledger(t: &TestApp, player_id: i64) -> Vec<Value> {
    let reply = t.get(&format!("/api/v1/players/{player_id}/awards?limit=1000")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["awards"].as_array().unwrap().clone()
}
