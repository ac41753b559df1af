//! Every event type playerbase acts on, awarded by its rule, in the ledger
//! with source `twitch:EVENT_TYPE` and the message id.

use serde_json::{Value, json};

use super::{BROADCASTER, app, by_viewer, chat, ledger, notify, notify_as, settle, viewer};
use crate::support::TestApp;

async fn stat(t: &TestApp, twitch_user_id: &str, stat: &str) -> i64 {
    viewer(t, twitch_user_id).await["stats"][stat].as_i64().unwrap()
}

/// The one ledger row of a viewer, checked for source and message id.
async fn only_row(t: &TestApp, twitch_user_id: &str, source: &str, message_id: &str) -> Value {
    let player = viewer(t, twitch_user_id).await;
    let rows = ledger(t, player["id"].as_i64().unwrap()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["source"], source);
    assert_eq!(rows[0]["twitch_message_id"], message_id);
    rows[0].clone()
}

#[tokio::test]
async fn a_follow_awards_its_amount() {
    let t = app().await;
    let id = notify(&t, "channel.follow", by_viewer("701", "follower", json!({"followed_at": "2026-12-04T19:30:02Z"})))
        .await;
    settle(&t).await;
    assert_eq!(stat(&t, "701", "shieldXp").await, 10);
    only_row(&t, "701", "twitch:channel.follow", &id).await;
}

#[tokio::test]
async fn a_subscription_awards_by_tier() {
    let t = app().await;
    let tier1 =
        notify(&t, "channel.subscribe", by_viewer("711", "tierone", json!({"tier": "1000", "is_gift": false}))).await;
    notify(&t, "channel.subscribe", by_viewer("712", "tierthree", json!({"tier": "3000", "is_gift": true}))).await;
    settle(&t).await;
    assert_eq!(stat(&t, "711", "healthXp").await, 100, "only the rule without a tier");
    assert_eq!(stat(&t, "712", "healthXp").await, 300, "both rules: any tier, and tier 3000");
    only_row(&t, "711", "twitch:channel.subscribe", &tier1).await;
}

#[tokio::test]
async fn a_cheer_awards_per_bit() {
    let t = app().await;
    let id = notify(
        &t,
        "channel.cheer",
        by_viewer("721", "cheerer", json!({"is_anonymous": false, "bits": 150, "message": "Cheer150"})),
    )
    .await;
    settle(&t).await;
    assert_eq!(stat(&t, "721", "mageAtkXp").await, 300);
    let row = only_row(&t, "721", "twitch:channel.cheer", &id).await;
    assert_eq!(row["amount"], 300);
}

#[tokio::test]
async fn anonymous_cheers_award_nobody_whether_null_or_empty() {
    let t = app().await;
    for (id, user) in [("anon-null", Value::Null), ("anon-empty", json!(""))] {
        let event = json!({"is_anonymous": true, "user_id": user, "user_login": user, "user_name": user,
                           "broadcaster_user_id": BROADCASTER, "bits": 100, "message": "Cheer100"});
        notify_as(&t, id, "channel.cheer", event).await;
    }
    settle(&t).await;
    let players: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM players").fetch_one(&t.db().await).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger").fetch_one(&t.db().await).await.unwrap();
    assert_eq!((players, rows), (0, 0));
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM eventsub_messages WHERE applied_at IS NOT NULL")
        .fetch_one(&t.db().await)
        .await
        .unwrap();
    assert_eq!(applied, 2, "acknowledged and done with");
}

#[tokio::test]
async fn a_redemption_awards_by_reward_title_or_id() {
    let t = app().await;
    let redemption = |user: &str, login: &str, reward_id: &str, title: &str| {
        by_viewer(
            user,
            login,
            json!({"id": "r-1", "user_input": "", "status": "unfulfilled",
            "reward": {"id": reward_id, "title": title, "cost": 100, "prompt": ""}, "redeemed_at": "2026-12-04T19:30:02Z"}),
        )
    };
    let kind = "channel.channel_points_custom_reward_redemption.add";
    let by_title = notify(&t, kind, redemption("731", "thirsty", "some-uuid", "Hydrate")).await;
    notify(&t, kind, redemption("732", "byid", "reward-id-42", "Renamed reward")).await;
    notify(&t, kind, redemption("733", "other", "another-id", "Stretch")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "731", "evasionXp").await, 25);
    assert_eq!(stat(&t, "732", "evasionXp").await, 7);
    assert_eq!(stat(&t, "733", "evasionXp").await, 0, "a player now, with no award");
    only_row(&t, "731", &format!("twitch:{kind}"), &by_title).await;
}

#[tokio::test]
async fn a_raid_awards_the_raider_its_amount_and_per_viewer() {
    let t = app().await;
    let event = json!({
        "from_broadcaster_user_id": "741", "from_broadcaster_user_login": "raider", "from_broadcaster_user_name": "Raider",
        "to_broadcaster_user_id": BROADCASTER, "to_broadcaster_user_login": "streamer", "to_broadcaster_user_name": "Streamer",
        "viewers": 40
    });
    let id = notify(&t, "channel.raid", event).await;
    settle(&t).await;
    assert_eq!(stat(&t, "741", "rangeAtkXp").await, 50 + 2 * 40);
    only_row(&t, "741", "twitch:channel.raid", &id).await;
}

#[tokio::test]
async fn chat_awards_once_per_cooldown_by_the_messages_own_time() {
    let t = app().await;
    let first = notify(&t, "channel.chat.message", chat("751", "chatty", "hello")).await;
    notify(&t, "channel.chat.message", chat("751", "chatty", "hello again")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "751", "speedXp").await, 1, "the second message is within the cooldown");
    only_row(&t, "751", "twitch:channel.chat.message", &first).await;
    // Margins of seconds: the real clock may tick between two deliveries.
    t.state.clock.advance(50);
    notify(&t, "channel.chat.message", chat("751", "chatty", "still cooling")).await;
    notify(&t, "channel.chat.message", chat("752", "other", "someone else is not held back")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "751", "speedXp").await, 1);
    assert_eq!(stat(&t, "752", "speedXp").await, 1);
    t.state.clock.advance(15);
    notify(&t, "channel.chat.message", chat("751", "chatty", "a minute later")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "751", "speedXp").await, 2);
}

/// Twitch's timestamps carry fractions of a second, and the cooldown counts
/// them: 10.9 s and 70.1 s are 59.2 s apart, not the 60 s of their whole seconds.
#[tokio::test]
async fn the_chat_cooldown_counts_fractions_of_a_second() {
    let t = app().await;
    let start = t.state.clock.now() * 1000;
    let say = |offset_ms: i64, text: &'static str| {
        let t = &t;
        async move {
            let at =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(start + offset_ms) * 1_000_000).unwrap();
            let timestamp = at.format(&time::format_description::well_known::Rfc3339).unwrap();
            let body = super::notification("channel.chat.message", chat("755", "precise", text)).to_string();
            let id = uuid::Uuid::new_v4().to_string();
            let reply = super::deliver_signed(t, "notification", &id, &timestamp, body.as_bytes(), super::SECRET).await;
            assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.raw));
            settle(t).await;
            stat(t, "755", "speedXp").await
        }
    };
    assert_eq!(say(900, "at 0.9 s").await, 1);
    assert_eq!(say(60_100, "at 60.1 s: 59.2 s later").await, 1, "still within the 60 s cooldown");
    assert_eq!(say(60_899, "at 60.899 s: 1 ms short").await, 1, "still within the 60 s cooldown");
    assert_eq!(say(60_900, "at 60.9 s: 60 s later").await, 2, "the cooldown is over");
}

#[tokio::test]
async fn the_chat_cooldown_holds_across_instances() {
    let t = app().await;
    let other = t.another_instance().await;
    notify(&t, "channel.chat.message", chat("761", "roamer", "on one")).await;
    settle(&t).await;
    notify(&other, "channel.chat.message", chat("761", "roamer", "on the other")).await;
    settle(&other).await;
    assert_eq!(stat(&t, "761", "speedXp").await, 1);
}

#[tokio::test]
async fn events_of_another_channel_are_ignored() {
    let t = app().await;
    let mut follow = by_viewer("771", "elsewhere", json!({}));
    follow["broadcaster_user_id"] = json!("9999");
    notify(&t, "channel.follow", follow).await;
    settle(&t).await;
    assert!(!super::is_viewer(&t, "771").await);
}

#[tokio::test]
async fn an_award_over_a_stats_bounds_is_refused_and_the_message_is_done() {
    let mut config = super::config();
    config.stats.iter_mut().find(|s| s.key == "mageAtkXp").unwrap().max = Some(1000);
    let t = TestApp::with_config(config).await;
    notify(&t, "channel.cheer", by_viewer("781", "bigspender", json!({"bits": 10_000}))).await;
    notify(&t, "channel.cheer", by_viewer("781", "bigspender", json!({"bits": 100}))).await;
    settle(&t).await;
    assert_eq!(stat(&t, "781", "mageAtkXp").await, 200, "the first is over max; the second applies");
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM eventsub_messages WHERE applied_at IS NULL")
        .fetch_one(&t.db().await)
        .await
        .unwrap();
    assert_eq!(pending, 0, "a refusal is final: retrying would be refused again");
}

/// Two chat rules on one stat: a small award each minute and a bonus each
/// hour. Each rule keeps its own cooldown, so both award the first message.
#[tokio::test]
async fn chat_rules_on_one_stat_each_keep_their_own_cooldown() {
    let mut config = super::config();
    let chat_rule = |amount, seconds| playerbase::config::RuleSpec {
        event: "channel.chat.message".into(),
        stat: "speedXp".into(),
        amount: Some(amount),
        cooldown_seconds: Some(seconds),
        ..Default::default()
    };
    config.twitch.rules = vec![chat_rule(1, 60), chat_rule(100, 3600)];
    let t = TestApp::with_config(config).await;
    notify(&t, "channel.chat.message", chat("771", "bonus", "hello")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "771", "speedXp").await, 101, "both rules award the first message");
    t.state.clock.advance(70);
    notify(&t, "channel.chat.message", chat("771", "bonus", "a minute later")).await;
    settle(&t).await;
    assert_eq!(stat(&t, "771", "speedXp").await, 102, "the hourly bonus is still cooling");
}
