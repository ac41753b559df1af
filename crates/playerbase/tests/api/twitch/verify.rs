//! The signature and the replay window, from TWITCH.md's known answers to
//! the route's refusals.

use playerbase::Config;
use playerbase::config::Secret;
use playerbase::twitch::eventsub::verify::{parse_timestamp, sign, signature_matches};
use serde_json::json;

use super::{SECRET, app, by_viewer, deliver_signed, notification, timestamp};
use crate::support::TestApp;

const VECTOR_1_BODY: &str = r#"{"subscription":{"id":"ae2ff348-e102-16be-a3eb-6830c1bf38d2","status":"enabled","type":"channel.follow","version":"1","condition":{"broadcaster_user_id":"44429626"},"transport":{"method":"webhook","callback":"null"},"created_at":"2021-02-19T23:47:00.7621315Z"},"event":{"user_id":"28408015","user_login":"testFromUser","user_name":"testFromUser","broadcaster_user_id":"44429626","broadcaster_user_login":"44429626","broadcaster_user_name":"testBroadcaster"}}"#;
const VECTOR_2_BODY: &str = r#"{"challenge":"11535768-497e-14ec-8197-ba2cb5341a01","subscription":{"id":"8d8fa82b-9792-79da-4e11-a6fa58a7a582","status":"webhook_callback_verification_pending","type":"channel.subscribe","version":"1","condition":{"broadcaster_user_id":"88525095"},"transport":{"method":"webhook","callback":"http://localhost:80/twitch/eventsub"},"created_at":"2022-02-06T04:03:24.2706497Z","cost":0}}"#;

#[test]
fn known_answer_vector_1_a_follow() {
    assert_eq!(VECTOR_1_BODY.len(), 458);
    let (id, at) = ("ae2ff348-e102-16be-a3eb-6830c1bf38d2", "2021-02-19T23:47:00.8091512Z");
    let expected = "sha256=d10f5bd9474b7ac7bd7105eb79c2d52768b4d0cd2a135982c3bf5a1d59a78823";
    assert!(signature_matches(b"secretabcd", id, at, VECTOR_1_BODY.as_bytes(), expected));
    assert_eq!(sign(b"secretabcd", id, at, VECTOR_1_BODY.as_bytes()), expected);
    assert!(!signature_matches(b"secretabce", id, at, VECTOR_1_BODY.as_bytes(), expected), "another secret");
    let flipped = expected.replace("823", "824");
    assert!(!signature_matches(b"secretabcd", id, at, VECTOR_1_BODY.as_bytes(), &flipped), "another signature");
}

#[test]
fn known_answer_vector_2_a_challenge() {
    assert_eq!(VECTOR_2_BODY.len(), 385);
    let (id, at) = ("8d8fa82b-9792-79da-4e11-a6fa58a7a582", "2022-02-06T04:03:24.2726598Z");
    let expected = "sha256=091f6a5c74fba820f2d50e9d0c5e7650556ee009375af2cc662e610e670bc412";
    assert!(signature_matches(b"HELLOabc2321", id, at, VECTOR_2_BODY.as_bytes(), expected));
    let mut body = VECTOR_2_BODY.as_bytes().to_vec();
    body.push(b'\n');
    assert!(!signature_matches(b"HELLOabc2321", id, at, &body, expected), "a byte more in the body");
    assert!(!signature_matches(
        b"HELLOabc2321",
        id,
        "2022-02-06T04:03:24.2726599Z",
        VECTOR_2_BODY.as_bytes(),
        expected
    ));
}

#[tokio::test]
async fn the_vectors_own_timestamps_are_refused_as_stale_by_the_route() {
    let mut config = Config::default();
    config.twitch.eventsub_secret = Secret::new("HELLOabc2321");
    let t = TestApp::with_config(config).await;
    let reply = deliver_signed(
        &t,
        "webhook_callback_verification",
        "8d8fa82b-9792-79da-4e11-a6fa58a7a582",
        "2022-02-06T04:03:24.2726598Z",
        VECTOR_2_BODY.as_bytes(),
        "HELLOabc2321",
    )
    .await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "stale_message"));
}

#[tokio::test]
async fn bad_signatures_are_403_and_store_nothing() {
    let t = app().await;
    let body = notification("channel.follow", by_viewer("501", "mallory", json!({}))).to_string();
    let now = timestamp(t.state.clock.now());
    let wrong_secret = deliver_signed(&t, "notification", "m-1", &now, body.as_bytes(), "another-secret-here").await;
    assert_eq!((wrong_secret.status.as_u16(), wrong_secret.code()), (403, "invalid_signature"));

    let signature = sign(SECRET.as_bytes(), "m-2", &now, body.as_bytes());
    let tampered = body.replace("mallory", "mallorz");
    let headers = [
        ("twitch-eventsub-message-id", "m-2"),
        ("twitch-eventsub-message-type", "notification"),
        ("twitch-eventsub-message-signature", signature.as_str()),
        ("twitch-eventsub-message-timestamp", now.as_str()),
    ];
    let reply =
        t.send_with(axum::http::Method::POST, "/api/v1/twitch/eventsub", &headers, Some(tampered.into_bytes())).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "invalid_signature"), "a changed body");

    let unsigned = [("Twitch-Eventsub-Message-Id", "m-3"), ("Twitch-Eventsub-Message-Type", "notification")];
    let headers: Vec<_> = unsigned.into_iter().chain([("Twitch-Eventsub-Message-Timestamp", now.as_str())]).collect();
    let reply =
        t.send_with(axum::http::Method::POST, "/api/v1/twitch/eventsub", &headers, Some(body.into_bytes())).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "invalid_signature"), "no signature at all");

    let reply = t.send_with(axum::http::Method::POST, "/api/v1/twitch/eventsub", &[], Some(b"{}".to_vec())).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (400, "missing_eventsub_header"));

    super::settle(&t).await;
    assert!(!super::is_viewer(&t, "501").await, "nothing was applied");
}

/// The subscription type header is not signed: a forged one must not become
/// a metric series of its own, or anyone could grow `/metrics` without end.
#[tokio::test]
async fn refused_deliveries_count_under_known_types_only() {
    let t = app().await;
    let now = timestamp(t.state.clock.now());
    for (id, claimed) in [("m-1", "made.up.type-1"), ("m-2", "made.up.type-2"), ("m-3", "channel.follow")] {
        let headers = [
            ("twitch-eventsub-message-id", id),
            ("twitch-eventsub-message-type", "notification"),
            ("twitch-eventsub-message-signature", "sha256=00"),
            ("twitch-eventsub-message-timestamp", now.as_str()),
            ("twitch-eventsub-subscription-type", claimed),
        ];
        let reply =
            t.send_with(axum::http::Method::POST, "/api/v1/twitch/eventsub", &headers, Some(b"{}".to_vec())).await;
        assert_eq!(reply.code(), "invalid_signature");
    }
    let metrics = String::from_utf8(t.get("/metrics").await.raw).unwrap();
    assert!(!metrics.contains("made.up"), "{metrics}");
    let counted =
        |kind: &str| format!("playerbase_eventsub_messages_total{{type=\"{kind}\",outcome=\"invalid_signature\"}}");
    assert!(metrics.contains(&format!("{} 2", counted("unknown"))), "{metrics}");
    assert!(metrics.contains(&format!("{} 1", counted("channel.follow"))), "{metrics}");
}

#[tokio::test]
async fn headers_are_read_ignoring_case() {
    let t = app().await;
    let body = notification("channel.follow", by_viewer("502", "casey", json!({}))).to_string();
    let now = timestamp(t.state.clock.now());
    let signature = sign(SECRET.as_bytes(), "m-case", &now, body.as_bytes());
    let headers = [
        ("TWITCH-EVENTSUB-MESSAGE-ID", "m-case"),
        ("twitch-eventsub-message-type", "notification"),
        ("Twitch-EventSub-Message-Signature", signature.as_str()),
        ("tWITCH-eVENTSUB-mESSAGE-tIMESTAMP", now.as_str()),
    ];
    let reply =
        t.send_with(axum::http::Method::POST, "/api/v1/twitch/eventsub", &headers, Some(body.into_bytes())).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    super::settle(&t).await;
    assert!(super::is_viewer(&t, "502").await);
}

#[tokio::test]
async fn messages_outside_ten_minutes_either_way_are_refused() {
    let t = app().await;
    let body = notification("channel.follow", by_viewer("503", "oldie", json!({}))).to_string();
    let now = t.state.clock.now();
    for (at, expected) in [(now - 601, 403), (now + 601, 403), (now - 590, 204), (now + 590, 204)] {
        let id = format!("m-{at}");
        let reply = deliver_signed(&t, "notification", &id, &timestamp(at), body.as_bytes(), SECRET).await;
        assert_eq!(reply.status.as_u16(), expected, "sent at now{:+}", at - now);
        if expected == 403 {
            assert_eq!(reply.code(), "stale_message");
        }
    }
    for (raw, digits) in [("2026-12-04T19:30:02Z", 0), ("2026-12-04T19:30:02.8Z", 1), ("2026-12-04T19:30:02.813Z", 3)] {
        assert_eq!(parse_timestamp(raw), Some(1_796_412_602), "{digits} fractional digits");
    }
    let reply = deliver_signed(&t, "notification", "m-bad-time", "yesterday", body.as_bytes(), SECRET).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_timestamp"));
}

#[tokio::test]
async fn without_a_secret_the_route_says_it_is_not_configured() {
    let t = TestApp::new().await;
    let body = notification("channel.follow", by_viewer("504", "nobody", json!({}))).to_string();
    let now = timestamp(t.state.clock.now());
    let reply = deliver_signed(&t, "notification", "m-1", &now, body.as_bytes(), SECRET).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (503, "eventsub_not_configured"));
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("twitch.eventsub_secret"));
    let metrics = String::from_utf8(t.get("/metrics").await.raw).unwrap();
    let counted = r#"playerbase_eventsub_messages_total{type="channel.follow",outcome="not_configured"} 1"#;
    assert!(metrics.contains(counted), "an operator sees the deliveries it turns away: {metrics}");
}
