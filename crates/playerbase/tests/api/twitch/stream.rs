//! `stream.online`/`stream.offline` of the configured broadcaster mark the
//! `stream` leaderboard period: since the last stream.online, empty before.

use serde_json::json;

use super::{BROADCASTER, app, chat, notify, settle, timestamp, viewer};
use crate::support::TestApp;

async fn stream_board(t: &TestApp) -> serde_json::Value {
    let reply = t.get("/api/v1/leaderboards/speedXp?period=stream").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

fn online(id: &str, started_at: &str) -> serde_json::Value {
    json!({"id": id, "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer",
           "broadcaster_user_name": "Streamer", "type": "live", "started_at": started_at})
}

fn offline() -> serde_json::Value {
    json!({"broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer"})
}

#[tokio::test]
async fn the_stream_period_runs_from_the_last_stream_online() {
    let t = app().await;
    notify(&t, "channel.chat.message", chat("901", "early", "before any stream")).await;
    settle(&t).await;
    let before = stream_board(&t).await;
    assert_eq!((before["total"].clone(), before["entries"].clone()), (json!(0), json!([])), "empty before the first");
    assert_eq!(viewer(&t, "901").await["stats"]["speedXp"], 1);

    let started = t.state.clock.now();
    notify(&t, "stream.online", online("s-1", &timestamp(started))).await;
    notify(&t, "channel.chat.message", chat("902", "live", "during the stream")).await;
    settle(&t).await;
    let during = stream_board(&t).await;
    assert_eq!(during["total"], 1);
    assert_eq!(during["entries"][0]["username"], "live");
    let day = t.get("/api/v1/leaderboards/speedXp?period=day").await.body;
    assert_eq!(day["total"], 2, "the day counts both");

    // Another instance (another process on the same database) sees the same stream.
    let other = t.another_instance().await;
    assert_eq!(stream_board(&other).await["total"], 1);
    let around = other
        .get(&format!("/api/v1/leaderboards/speedXp/players/{}?period=stream", during["entries"][0]["player_id"]))
        .await;
    assert_eq!((around.status.as_u16(), around.body["rank"].clone()), (200, json!(1)));
    drop(other);

    notify(&t, "stream.offline", offline()).await;
    t.state.clock.advance(120);
    notify(&t, "channel.chat.message", chat("903", "late", "after the stream")).await;
    settle(&t).await;
    let after = stream_board(&t).await;
    assert_eq!(after["total"], 1, "the last stream stays on show; awards after it ended do not count");

    notify(&t, "stream.online", online("s-2", &timestamp(t.state.clock.now()))).await;
    settle(&t).await;
    assert_eq!(stream_board(&t).await["total"], 0, "a new stream starts empty");
    t.state.clock.advance(65); // past the chat cooldown
    notify(&t, "channel.chat.message", chat("903", "late", "in the second stream")).await;
    settle(&t).await;
    let second = stream_board(&t).await;
    assert_eq!((second["total"].clone(), second["entries"][0]["username"].clone()), (json!(1), json!("late")));
}

#[tokio::test]
async fn the_stream_board_is_rebuilt_after_a_restart() {
    let t = app().await;
    notify(&t, "stream.online", online("s-1", &timestamp(t.state.clock.now()))).await;
    notify(&t, "channel.chat.message", chat("911", "stayer", "hi")).await;
    settle(&t).await;
    let restarted = t.another_instance().await;
    let board = stream_board(&restarted).await;
    assert_eq!((board["total"].clone(), board["entries"][0]["username"].clone()), (json!(1), json!("stayer")));
}

/// Twitch delivers at least once, in no promised order: around a reconnect
/// the old stream's offline (or a resent online) can come after the new
/// stream's online. Neither ends the stream that is live.
#[tokio::test]
async fn late_deliveries_about_the_previous_stream_leave_the_live_one_alone() {
    let t = app().await;
    let now = t.state.clock.now();
    notify(&t, "stream.online", online("s-old", &timestamp(now - 300))).await;
    notify(&t, "stream.online", online("s-new", &timestamp(now - 30))).await;
    let late_offline = super::notification("stream.offline", offline()).to_string();
    let reply = super::deliver_signed(
        &t,
        "notification",
        "late-offline",
        &timestamp(now - 60),
        late_offline.as_bytes(),
        super::SECRET,
    )
    .await;
    assert_eq!(reply.status, 204);
    notify(&t, "channel.chat.message", chat("921", "viewer", "still live")).await;
    settle(&t).await;
    let board = stream_board(&t).await;
    assert_eq!((board["total"].clone(), board["entries"][0]["username"].clone()), (json!(1), json!("viewer")));
    notify(&t, "stream.online", online("s-old", &timestamp(now - 300))).await;
    settle(&t).await;
    let board = stream_board(&t).await;
    assert_eq!(
        (board["total"].clone(), board["entries"][0]["username"].clone()),
        (json!(1), json!("viewer")),
        "a resent online of the old stream does not start it again"
    );
}

/// A stream's offline can be delivered before its online: the stream is
/// then over already, and awards after its end do not count on its board.
#[tokio::test]
async fn an_offline_delivered_before_its_online_ends_that_stream() {
    let t = app().await;
    let now = t.state.clock.now();
    notify(&t, "stream.offline", offline()).await;
    settle(&t).await;
    notify(&t, "stream.online", online("s-1", &timestamp(now - 120))).await;
    settle(&t).await;
    notify(&t, "channel.chat.message", chat("931", "after", "after the stream ended")).await;
    settle(&t).await;
    let board = stream_board(&t).await;
    assert_eq!((board["total"].clone(), board["entries"].clone()), (json!(0), json!([])), "the stream was over");
    assert_eq!(t.get("/api/v1/leaderboards/speedXp?period=day").await.body["total"], 1, "the chat was applied");

    // Its next stream starts as usual, and is live.
    t.state.clock.advance(600);
    notify(&t, "stream.online", online("s-2", &timestamp(t.state.clock.now()))).await;
    t.state.clock.advance(65); // past the chat cooldown
    notify(&t, "channel.chat.message", chat("931", "after", "in the next stream")).await;
    settle(&t).await;
    assert_eq!(stream_board(&t).await["total"], 1);
    // An online never seen before, of a stream older than the ones known, is late too, even with none live.
    t.state.clock.advance(60);
    notify(&t, "stream.offline", offline()).await;
    settle(&t).await;
    notify(&t, "stream.online", online("s-0", &timestamp(now - 3600))).await;
    settle(&t).await;
    assert_eq!(stream_board(&t).await["total"], 1, "an old stream's late online replaced the live one");
}

/// Only an offline that ended nothing waits for a late online: one that
/// ended the stream before, or one of another channel, ends no later stream.
#[tokio::test]
async fn an_offline_already_spent_or_of_another_channel_does_not_end_a_new_stream() {
    let t = app().await;
    let now = t.state.clock.now();
    notify(&t, "stream.online", online("s-a", &timestamp(now - 600))).await;
    settle(&t).await;
    let mut elsewhere = offline();
    elsewhere["broadcaster_user_id"] = json!("999999");
    notify(&t, "stream.offline", elsewhere).await;
    notify(&t, "stream.offline", offline()).await; // ends s-a
    settle(&t).await;
    // A quick restart: the new stream's start is stamped before the old one's offline.
    notify(&t, "stream.online", online("s-b", &timestamp(now - 60))).await;
    settle(&t).await;
    notify(&t, "channel.chat.message", chat("941", "watcher", "in the new stream")).await;
    settle(&t).await;
    let board = stream_board(&t).await;
    assert_eq!((board["total"].clone(), board["entries"][0]["username"].clone()), (json!(1), json!("watcher")));
}
