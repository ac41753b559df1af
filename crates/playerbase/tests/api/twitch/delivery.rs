//! How deliveries are handled: challenges, revocations, duplicates, types
//! playerbase does not use, and messages stored but not applied before a restart.

use serde_json::json;

use super::{
    SECRET, app, by_viewer, deliver_signed, ledger, notification, notify, notify_as, settle, timestamp, viewer,
};

#[tokio::test]
async fn a_challenge_is_answered_with_itself_as_plain_text() {
    let t = app().await;
    let body = json!({
        "challenge": "pogchamp-kappa-360noscope-vohiyo",
        "subscription": {"id": "f1c2a387", "status": "webhook_callback_verification_pending", "type": "channel.follow",
                         "version": "2", "condition": {"broadcaster_user_id": "1000"},
                         "transport": {"method": "webhook", "callback": "https://example.com/"}, "created_at": "2026-12-04T19:30:02Z", "cost": 1}
    })
    .to_string();
    let now = timestamp(t.state.clock.now());
    let reply = deliver_signed(&t, "webhook_callback_verification", "c-1", &now, body.as_bytes(), SECRET).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.raw, b"pogchamp-kappa-360noscope-vohiyo");
    assert!(reply.header("content-type").starts_with("text/plain"));
    let forged =
        deliver_signed(&t, "webhook_callback_verification", "c-2", &now, body.as_bytes(), "not-the-secret").await;
    assert_eq!(forged.status, 403, "a challenge is verified like anything else");
}

#[tokio::test]
async fn a_revocation_is_acknowledged_and_recorded() {
    let t = app().await;
    let body = json!({
        "subscription": {"id": "sub-77", "status": "authorization_revoked", "type": "channel.cheer", "version": "1",
                         "condition": {"broadcaster_user_id": "1000"},
                         "transport": {"method": "webhook", "callback": "https://example.com/"}, "created_at": "2026-12-04T19:30:02Z", "cost": 0}
    })
    .to_string();
    let now = timestamp(t.state.clock.now());
    let reply = deliver_signed(&t, "revocation", "r-1", &now, body.as_bytes(), SECRET).await;
    assert_eq!(reply.status, 204);
    let recorded: Vec<(String, String, String)> =
        sqlx::query_as("SELECT subscription_id, subscription_type, status FROM eventsub_revocations")
            .fetch_all(&t.db().await)
            .await
            .unwrap();
    assert_eq!(recorded, [("sub-77".to_owned(), "channel.cheer".to_owned(), "authorization_revoked".to_owned())]);
}

#[tokio::test]
async fn a_message_delivered_twice_is_applied_once_and_acknowledged_both_times() {
    let t = app().await;
    let follow = by_viewer("601", "twice", json!({"followed_at": "2026-12-04T19:30:02Z"}));
    notify_as(&t, "dup-1", "channel.follow", follow.clone()).await;
    notify_as(&t, "dup-1", "channel.follow", follow.clone()).await;
    settle(&t).await;
    notify_as(&t, "dup-1", "channel.follow", follow.clone()).await;
    // Concurrently, as Twitch's retries can be.
    let again: Vec<_> = (0..5).map(|_| notify_as(&t, "dup-1", "channel.follow", follow.clone())).collect();
    futures_util::future::join_all(again).await;
    settle(&t).await;
    let player = viewer(&t, "601").await;
    assert_eq!(player["stats"]["shieldXp"], 10);
    let rows = ledger(&t, player["id"].as_i64().unwrap()).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["source"], "twitch:channel.follow");
    assert_eq!(rows[0]["twitch_message_id"], "dup-1");
    let metrics = String::from_utf8(t.get("/metrics").await.raw).unwrap();
    for line in [
        "playerbase_eventsub_messages_total{type=\"channel.follow\",outcome=\"stored\"} 1",
        "playerbase_eventsub_messages_total{type=\"channel.follow\",outcome=\"duplicate\"} 7",
    ] {
        assert!(metrics.contains(line), "{line} is not in {metrics}");
    }
}

#[tokio::test]
async fn types_playerbase_does_not_use_are_acknowledged_and_dropped() {
    let t = app().await;
    let event = json!({"user_id": "602", "user_login": "banned", "broadcaster_user_id": "1000", "reason": "spam"});
    let id = notify(&t, "channel.ban", event).await;
    settle(&t).await;
    assert!(!super::is_viewer(&t, "602").await);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM eventsub_messages WHERE message_id = $1")
        .bind(&id)
        .fetch_one(&t.db().await)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let unknown_kind = deliver_signed(
        &t,
        "something_new",
        "u-1",
        &timestamp(t.state.clock.now()),
        b"{\"subscription\":{\"type\":\"x\"}}",
        SECRET,
    )
    .await;
    assert_eq!(unknown_kind.status, 204, "a message type Twitch may add later");
    let metrics = String::from_utf8(t.get("/metrics").await.raw).unwrap();
    for line in [
        "playerbase_eventsub_messages_total{type=\"channel.ban\",outcome=\"dropped\"} 1",
        "playerbase_eventsub_messages_total{type=\"channel.follow\",outcome=\"unknown_message_type\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} is not in {metrics}");
    }
}

#[tokio::test]
async fn messages_stored_but_not_applied_are_applied_after_a_restart() {
    let t = app().await;
    // As if the server had stored them and died before applying: rows in the table, nothing applied.
    let db = t.db().await;
    for (id, user) in [("crash-1", "611"), ("crash-2", "612")] {
        let body = notification("channel.follow", by_viewer(user, &format!("viewer{user}"), json!({}))).to_string();
        sqlx::query(
            "INSERT INTO eventsub_messages (message_id, subscription_type, body, sent_at_ms, received_at) \
             VALUES ($1, 'channel.follow', $2, $3 * 1000, $3)",
        )
        .bind(id)
        .bind(body)
        .bind(t.state.clock.now())
        .execute(&db)
        .await
        .unwrap();
    }
    let restarted = t.another_instance().await;
    settle(&restarted).await;
    for user in ["611", "612"] {
        assert_eq!(viewer(&restarted, user).await["stats"]["shieldXp"], 10);
    }
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM eventsub_messages WHERE applied_at IS NULL OR body IS NOT NULL")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(pending, 0, "applied, and the bodies (which name viewers) dropped");
    // A resend after the restart is still recognised.
    notify_as(&restarted, "crash-1", "channel.follow", by_viewer("611", "viewer611", json!({}))).await;
    settle(&restarted).await;
    settle(&t).await;
    assert_eq!(viewer(&restarted, "611").await["stats"]["shieldXp"], 10);
}

#[tokio::test]
async fn two_instances_given_the_same_message_apply_it_once() {
    let t = app().await;
    let other = t.another_instance().await;
    let follow = by_viewer("621", "everywhere", json!({}));
    let (a, b) = tokio::join!(
        notify_as(&t, "both-1", "channel.follow", follow.clone()),
        notify_as(&other, "both-1", "channel.follow", follow.clone())
    );
    let ((), ()) = (a, b);
    let (a, b) = tokio::join!(settle(&t), settle(&other));
    let ((), ()) = (a, b);
    assert_eq!(viewer(&t, "621").await["stats"]["shieldXp"], 10);
    assert_eq!(viewer(&other, "621").await["stats"]["shieldXp"], 10);
}
