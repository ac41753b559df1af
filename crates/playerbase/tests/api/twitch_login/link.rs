//! Linking a Twitch account to a logged-in player.

use axum::http::{Method, StatusCode};
use playerbase::domain::Scope;
use serde_json::{Value, json};

use super::*;
use crate::support::bearer;
use crate::v1_accounts::{api_key, create_player, login, send_json, sign_up};

async fn start_link(t: &TestApp, auth: &str, body: Value) -> Reply {
    send_json(t, Method::POST, "/api/v1/auth/twitch/link", Some(auth), body).await
}

#[tokio::test]
async fn twitch_link_links_the_account_to_the_calling_player() {
    let (fake, t) = app().await;
    let id = sign_up(&t, "alice").await;
    let profile = format!("/api/v1/players/{id}");
    assert_eq!(t.get(&profile).await.body["twitch"], Value::Null, "read once, so a kept profile would be stale");
    let session = login(&t, "alice").await;
    let state = state_of(&start_link(&t, &session.bearer(), json!({})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(t.get(&profile).await.body["twitch"], json!({"user_id": VIEWER_ID, "login": VIEWER_LOGIN}));
    assert_eq!((reply.body["id"].as_i64(), &reply.body["username"]), (Some(id), &json!("alice")));
    assert_eq!(reply.body["twitch"], json!({"user_id": VIEWER_ID, "login": VIEWER_LOGIN}));
    let found = t.get(&format!("/api/v1/players/by-twitch/{VIEWER_ID}")).await;
    assert_eq!(found.body["id"].as_i64(), Some(id));
    // From now on, logging in with Twitch is logging in as alice.
    let tokens = log_in(&fake, &t, VIEWER_ID, VIEWER_LOGIN).await;
    let me = t.get_as("/api/v1/me", &bearer(tokens.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["id"].as_i64(), Some(id));
}

#[tokio::test]
async fn twitch_link_with_a_redirect_lands_with_linked() {
    let (fake, t) = app().await;
    sign_up(&t, "alice").await;
    let session = login(&t, "alice").await;
    let state = state_of(&start_link(&t, &session.bearer(), json!({"redirect": GAME_REDIRECT})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.header("location"), "mygame://auth/twitch?linked=true");
    let me = t.get_as("/api/v1/me", &session.bearer()).await;
    assert_eq!(me.body["twitch"]["user_id"], VIEWER_ID);
}

#[tokio::test]
async fn twitch_link_needs_a_logged_in_player() {
    let (_fake, t) = app().await;
    let reply = t.post("/api/v1/auth/twitch/link", json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let key = api_key(&t, "bot", &[Scope::Admin]).await;
    let reply = start_link(&t, &bearer(&key), json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "an API key is no player");
}

#[tokio::test]
async fn twitch_link_refuses_an_account_another_player_linked() {
    let (fake, t) = app().await;
    sign_up(&t, "bob").await;
    let bob = login(&t, "bob").await;
    let state = state_of(&start_link(&t, &bob.bearer(), json!({})).await);
    assert_eq!(consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await.status, StatusCode::OK);
    sign_up(&t, "alice").await;
    let alice = login(&t, "alice").await;
    let state = state_of(&start_link(&t, &alice.bearer(), json!({})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "twitch_user_taken"), "{}", reply.body);
    assert_eq!(t.get_as("/api/v1/me", &alice.bearer()).await.body["twitch"], Value::Null);
}

#[tokio::test]
async fn twitch_link_refuses_an_account_that_has_a_viewer_player_and_says_how_to_use_it() {
    let (fake, t) = app().await;
    let key = api_key(&t, "bot", &[Scope::PlayersWrite]).await;
    let made =
        create_player(&t, Some(&bearer(&key)), json!({"username": "chatter", "twitch_user_id": VIEWER_ID})).await;
    assert_eq!(made.status, StatusCode::CREATED);
    sign_up(&t, "alice").await;
    let alice = login(&t, "alice").await;
    let state = state_of(&start_link(&t, &alice.bearer(), json!({})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::CONFLICT, "twitch_user_taken"));
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("chatter") && message.contains("log in with Twitch"), "{message}");
    // With a redirect, the game hears the same.
    let state = state_of(&start_link(&t, &alice.bearer(), json!({"redirect": GAME_REDIRECT})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.header("location"), "mygame://auth/twitch?error=twitch_user_taken");
}

#[tokio::test]
async fn twitch_link_replaces_the_players_earlier_twitch_account() {
    let (fake, t) = app().await;
    sign_up(&t, "alice").await;
    let alice = login(&t, "alice").await;
    for (user_id, login) in [("1001", "first"), ("1002", "second")] {
        let state = state_of(&start_link(&t, &alice.bearer(), json!({})).await);
        assert_eq!(consent_and_return(&fake, &t, &state, user_id, login).await.status, StatusCode::OK);
    }
    let me = t.get_as("/api/v1/me", &alice.bearer()).await;
    assert_eq!(me.body["twitch"], json!({"user_id": "1002", "login": "second"}));
    assert_eq!(t.get("/api/v1/players/by-twitch/1001").await.status, StatusCode::NOT_FOUND);
}
