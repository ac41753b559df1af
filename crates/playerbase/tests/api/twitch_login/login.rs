use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::json;

use super::*;
use crate::support::bearer;
use crate::support::fake_twitch::CLIENT_ID;
use crate::v1_accounts::{api_key, create_player};

#[tokio::test]
async fn twitch_login_sends_the_browser_to_twitch_with_a_fresh_state() {
    let (fake, t) = app().await;
    let reply = t.get("/auth/twitch").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.header("location");
    assert!(location.starts_with(&format!("{}/oauth2/authorize?", fake.base)), "{location}");
    let params = params(location);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["response_type", "client_id", "redirect_uri", "scope", "state"]);
    assert_eq!(param(location, "response_type").unwrap(), "code");
    assert_eq!(param(location, "client_id").unwrap(), CLIENT_ID);
    assert_eq!(param(location, "redirect_uri").unwrap(), CALLBACK);
    assert_eq!(param(location, "scope").unwrap(), "");
    let state = param(location, "state").unwrap();
    assert!(state.len() >= 40, "{state}");
    let again = t.get("/auth/twitch").await;
    assert_ne!(param(again.header("location"), "state").unwrap(), state, "every login has its own state");
    // Nothing asked of Twitch yet: the browser goes there.
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn twitch_login_asks_for_scopes_only_when_told() {
    let (_fake, t) = app().await;
    let reply = t.get("/auth/twitch?scope=moderator:read:followers%20bits:read").await;
    assert_eq!(param(reply.header("location"), "scope").unwrap(), "moderator:read:followers bits:read");
    let reply = t.get("/api/v1/auth/twitch?scope=%3Cscript%3E").await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_scope"));
}

#[tokio::test]
async fn twitch_login_creates_the_player_and_answers_with_tokens() {
    let (fake, t) = app().await;
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    assert_eq!(reply.header("referrer-policy"), "no-referrer");
    let access = reply.body["access_token"].as_str().unwrap();
    assert!(access.starts_with("pba_") && reply.body["refresh_token"].as_str().unwrap().starts_with("pbr_"));
    let me = t.get_as("/api/v1/me", &bearer(access)).await;
    assert_eq!(me.body["username"], VIEWER_LOGIN);
    assert_eq!(me.body["twitch"], json!({"user_id": VIEWER_ID, "login": VIEWER_LOGIN}));
    // The code was traded with the registered redirect URI, then the token validated.
    let exchange = &fake.requests_to("/oauth2/token")[0];
    assert_eq!(exchange.body["grant_type"], "authorization_code");
    assert_eq!(exchange.body["redirect_uri"], CALLBACK);
    assert_eq!(fake.requests_to("/oauth2/validate").len(), 1);
    // A second login is the same player.
    let again = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    let me_again = t.get_as("/api/v1/me", &bearer(again.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me_again.body["id"], me.body["id"]);
}

#[tokio::test]
async fn twitch_login_logs_the_viewer_into_the_player_made_from_their_events() {
    let (fake, t) = app().await;
    // The player EventSub would have made from the viewer's first chat message.
    let key = api_key(&t, "bot", &[Scope::PlayersWrite]).await;
    let made =
        create_player(&t, Some(&bearer(&key)), json!({"username": "chatter", "twitch_user_id": VIEWER_ID})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    // The viewer has renamed themselves on Twitch since.
    let reply = log_in(&fake, &t, VIEWER_ID, "newname").await;
    let me = t.get_as("/api/v1/me", &bearer(reply.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["id"], made.body["id"]);
    assert_eq!(me.body["username"], "chatter");
    assert_eq!(me.body["twitch"], json!({"user_id": VIEWER_ID, "login": "newname"}));
    assert_eq!(t.get("/api/users/").await.body["users"], json!(["chatter"]), "no second player");
}

#[tokio::test]
async fn twitch_login_makes_the_username_unique() {
    let (fake, t) = app().await;
    t.register(VIEWER_LOGIN, "python3x").await;
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    let me = t.get_as("/api/v1/me", &bearer(reply.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["username"], "twitchdev_2");
    assert_eq!(me.body["twitch"]["user_id"], VIEWER_ID);
}

#[tokio::test]
async fn twitch_login_refuses_a_wrong_or_missing_state() {
    let (fake, t) = app().await;
    let started = start(&t, "").await;
    let code = fake.consent(VIEWER_ID, VIEWER_LOGIN);
    for wrong in ["pbs_wrong", "x", &format!("{started}x")] {
        let reply = t.get(&format!("/auth/twitch/callback?code={code}&state={wrong}")).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_state"), "{wrong}");
    }
    let reply = t.get(&format!("/auth/twitch/callback?code={code}")).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "missing_state"));
    assert!(fake.requests().is_empty(), "a code under a bad state is never traded");
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]));
}

#[tokio::test]
async fn twitch_login_refuses_a_reused_state() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let first = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "invalid_state"));
}

#[tokio::test]
async fn twitch_login_state_is_taken_once_even_by_racing_callbacks() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let (a, b) = tokio::join!(
        consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN),
        consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::BAD_REQUEST]);
}

#[tokio::test]
async fn twitch_login_state_expires_after_ten_minutes() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    t.state.clock.advance(601);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_state"));
}

#[tokio::test]
async fn twitch_login_reports_a_denied_consent() {
    let (fake, t) = app().await;
    let state = start(&t, "").await;
    let denied =
        format!("/auth/twitch/callback?error=access_denied&error_description=The+user+denied+you+access&state={state}");
    let reply = t.get(&denied).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::FORBIDDEN, "twitch_access_denied"), "{}", reply.body);
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("declined"));
    assert!(fake.requests().is_empty());
    // The state is spent: a late code under it is refused.
    let late = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(late.code(), "invalid_state");
}

#[tokio::test]
async fn twitch_login_reports_a_token_exchange_failure() {
    let (fake, t) = app().await;
    fake.fail_token_exchange();
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "twitch_login_failed"), "{}", reply.body);
    assert!(fake.requests_to("/oauth2/validate").is_empty());
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]), "no player made");
}

#[tokio::test]
async fn twitch_login_reports_a_validation_failure() {
    let (fake, t) = app().await;
    fake.fail_validate();
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_GATEWAY, "twitch_login_failed"), "{}", reply.body);
    fake.validate_as_client("anotherapp");
    let reply = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.code(), "twitch_login_failed");
    assert_eq!(t.get("/api/users/").await.body["users"], json!([]));
}

#[tokio::test]
async fn twitch_login_without_credentials_configured_is_unavailable() {
    let t = TestApp::new().await;
    let reply = t.get("/api/v1/auth/twitch").await;
    assert_eq!((reply.status, reply.code()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    assert!(reply.body["error"]["message"].as_str().unwrap().contains("twitch.client_id"));
    assert_eq!(t.get("/auth/twitch").await.status, StatusCode::SERVICE_UNAVAILABLE);
}
