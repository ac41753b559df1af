use axum::http::{Method, StatusCode};
use playerbase::Config;
use playerbase::domain::Scope;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{PASSWORD, api_key, login, login_reply, me_status, refresh, refresh_reply, send_json, sign_up};
use crate::support::{TestApp, basic, bearer};

const DAY: i64 = 86_400;

#[tokio::test]
async fn login_returns_a_bearer_pair_that_works_as_a_player_everywhere() {
    let t = TestApp::new().await;
    let id = sign_up(&t, "kicksent").await;
    let reply = login_reply(&t, "KickSent", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.header("cache-control"), "no-store");
    let access = reply.body["access_token"].as_str().unwrap();
    let refresh = reply.body["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("pba_") && refresh.starts_with("pbr_"), "{access} {refresh}");
    assert_ne!(access, refresh);

    for path in ["/api/v1/me", "/api/resource/"] {
        for auth in [bearer(access), basic(access, "anything")] {
            let me = t.get_as(path, &auth).await;
            assert_eq!(me.status, StatusCode::OK, "{path}: {}", me.body);
            assert_eq!(me.body["id"], id);
        }
    }

    // Only the SHA-256 of each token is kept.
    let stored: Vec<(Vec<u8>, String)> =
        sqlx::query_as("SELECT hash, kind FROM tokens").fetch_all(&t.db().await).await.unwrap();
    let hashes: Vec<&[u8]> = stored.iter().map(|(hash, _)| hash.as_slice()).collect();
    for token in [access, refresh] {
        assert!(hashes.contains(&Sha256::digest(token.as_bytes()).as_slice()));
        assert!(!hashes.contains(&token.as_bytes()));
    }
}

#[tokio::test]
async fn a_wrong_login_is_401_for_known_and_unknown_players_alike() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    for (username, password) in [("kicksent", "wrong password"), ("nobody", PASSWORD), ("bad name", PASSWORD)] {
        let reply = login_reply(&t, username, password).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(reply.code(), "unauthorized");
        assert!(reply.headers.contains_key("www-authenticate"));
    }
    let missing = t.post("/api/v1/auth/login", json!({"username": "kicksent"})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn access_tokens_expire_after_access_seconds() {
    let t = TestApp::new().await;
    t.state.clock.pause();
    sign_up(&t, "kicksent").await;
    let session = login(&t, "kicksent").await;
    t.state.clock.advance(899);
    assert_eq!(me_status(&t, &session.bearer()).await, StatusCode::OK);
    t.state.clock.advance(1);
    assert_eq!(me_status(&t, &session.bearer()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh_reply(&t, &session.refresh).await.status, StatusCode::OK, "the refresh token outlives it");

    let mut config = Config::default();
    config.auth.access_seconds = 60;
    let short = TestApp::with_config(config).await;
    sign_up(&short, "kicksent").await;
    let reply = login_reply(&short, "kicksent", PASSWORD).await;
    assert_eq!(reply.body["expires_in"], 60);
    short.state.clock.advance(60);
    assert_eq!(
        me_status(&short, &bearer(reply.body["access_token"].as_str().unwrap())).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_tokens_expire_after_refresh_days_and_each_refresh_starts_anew() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let first = login(&t, "kicksent").await;
    t.state.clock.advance(29 * DAY);
    let second = refresh(&t, &first.refresh).await;
    t.state.clock.advance(29 * DAY);
    let third = refresh(&t, &second.refresh).await;
    assert_eq!(me_status(&t, &third.bearer()).await, StatusCode::OK, "58 days after login, still in");
    t.state.clock.advance(30 * DAY);
    let expired = refresh_reply(&t, &third.refresh).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);

    let mut config = Config::default();
    config.auth.refresh_days = 1;
    let short = TestApp::with_config(config).await;
    sign_up(&short, "kicksent").await;
    let session = login(&short, "kicksent").await;
    short.state.clock.advance(DAY);
    assert_eq!(refresh_reply(&short, &session.refresh).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_rotates_both_tokens_and_the_spent_one_stops_working() {
    let t = TestApp::new().await;
    let id = sign_up(&t, "kicksent").await;
    let first = login(&t, "kicksent").await;
    let reply = refresh_reply(&t, &first.refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    let second = refresh(&t, reply.body["refresh_token"].as_str().unwrap()).await;
    let rotated = reply.body["access_token"].as_str().unwrap();
    assert!(rotated != first.access && second.access != rotated && second.refresh != first.refresh);
    let me = t.get_as("/api/v1/me", &second.bearer()).await;
    assert_eq!((me.status, me.body["id"].as_i64()), (StatusCode::OK, Some(id)));

    let spent = refresh_reply(&t, &first.refresh).await;
    assert_eq!(spent.status, StatusCode::UNAUTHORIZED);
    assert_eq!(spent.code(), "unauthorized");
}

#[tokio::test]
async fn a_spent_refresh_token_presented_again_ends_the_whole_session() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let other_device = login(&t, "kicksent").await;
    let stolen = login(&t, "kicksent").await;
    let rotated = refresh(&t, &stolen.refresh).await;
    assert_eq!(me_status(&t, &stolen.bearer()).await, StatusCode::OK, "the sibling access token lives until reuse");
    assert_eq!(me_status(&t, &rotated.bearer()).await, StatusCode::OK);

    assert_eq!(refresh_reply(&t, &stolen.refresh).await.status, StatusCode::UNAUTHORIZED);

    assert_eq!(me_status(&t, &stolen.bearer()).await, StatusCode::UNAUTHORIZED, "issued alongside the spent token");
    assert_eq!(me_status(&t, &rotated.bearer()).await, StatusCode::UNAUTHORIZED, "issued by the rotation");
    assert_eq!(refresh_reply(&t, &rotated.refresh).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &other_device.bearer()).await, StatusCode::OK, "other sessions are untouched");
    assert_eq!(refresh_reply(&t, &other_device.refresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_through() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let session = login(&t, "kicksent").await;
    let attempts = (0..6).map(|_| refresh_reply(&t, &session.refresh));
    let replies = futures_util::future::join_all(attempts).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    // The losers presented a spent token: as with any reuse, the session is over.
    let winner = replies.iter().find(|reply| reply.status == StatusCode::OK).unwrap();
    let access = winner.body["access_token"].as_str().unwrap();
    assert_eq!(me_status(&t, &bearer(access)).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_that_session_at_once_and_no_other() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let leaving = login(&t, "kicksent").await;
    let staying = login(&t, "kicksent").await;
    let legacy = t.token("kicksent", PASSWORD).await;
    let reply = t.send(Method::POST, "/api/v1/auth/logout/", Some(&leaving.bearer()), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert!(reply.raw.is_empty());
    assert_eq!(me_status(&t, &leaving.bearer()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh_reply(&t, &leaving.refresh).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &staying.bearer()).await, StatusCode::OK);
    assert_eq!(me_status(&t, &bearer(&legacy)).await, StatusCode::OK);

    let again = t.send(Method::POST, "/api/v1/auth/logout", Some(&leaving.bearer()), None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let anonymous = t.send(Method::POST, "/api/v1/auth/logout", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_tokens_and_api_keys_are_not_access_tokens() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let session = login(&t, "kicksent").await;
    let key = api_key(&t, "admin", &[Scope::Admin]).await;
    for credential in [&session.refresh, &key] {
        for auth in [bearer(credential), basic(credential, "x")] {
            for path in ["/api/v1/me", "/api/resource"] {
                let reply = t.get_as(path, &auth).await;
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} took {}", &credential[..4]);
            }
            let logout = t.send(Method::POST, "/api/v1/auth/logout", Some(&auth), None).await;
            assert_eq!(logout.status, StatusCode::UNAUTHORIZED);
            let patch =
                send_json(&t, Method::PATCH, "/api/v1/me", Some(&auth), json!({"current_password": PASSWORD})).await;
            assert_eq!(patch.status, StatusCode::UNAUTHORIZED);
        }
    }
    for (credential, said) in [
        (
            &key,
            "an API key does not stand for a player: this route takes a player's access token, or username and password",
        ),
        (&session.refresh, "a refresh token is not an access token: trade it at /api/v1/auth/refresh for one"),
    ] {
        assert_eq!(t.get_as("/api/v1/me", &bearer(credential)).await.body["error"]["message"], said);
    }
    // Nor is an access token a refresh token; and trying changes nothing.
    assert_eq!(refresh_reply(&t, &session.access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &session.bearer()).await, StatusCode::OK);
    assert_eq!(refresh_reply(&t, &session.refresh).await.status, StatusCode::OK, "the refresh token was never spent");
}

#[tokio::test]
async fn seed_tokens_still_work_on_v1_and_v1_tokens_on_the_seed() {
    let t = TestApp::new().await;
    let id = sign_up(&t, "kicksent").await;
    let legacy = t.token("kicksent", PASSWORD).await;
    assert_eq!(t.get_as("/api/v1/me", &bearer(&legacy)).await.body["id"], id);
    assert_eq!(t.get_as("/api/v1/me", &basic("kicksent", PASSWORD)).await.body["id"], id);
    let session = login(&t, "kicksent").await;
    assert_eq!(t.get_as("/api/resource", &session.bearer()).await.body["id"], id);
    let minted = t.get_as("/api/token", &session.bearer()).await;
    assert_eq!(minted.status, StatusCode::UNAUTHORIZED, "a token still cannot mint a token");
}

/// On PostgreSQL, racing reuses once deadlocked on the session's row: each
/// round here is a fresh chance to catch that again.
#[tokio::test]
async fn a_dozen_racing_refreshes_never_end_in_a_server_error() {
    for _ in 0..5 {
        let t = TestApp::new().await;
        sign_up(&t, "kicksent").await;
        let session = login(&t, "kicksent").await;
        let attempts = (0..12).map(|_| refresh_reply(&t, &session.refresh));
        let replies = futures_util::future::join_all(attempts).await;
        let statuses: Vec<StatusCode> = replies.iter().map(|reply| reply.status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    }
}
