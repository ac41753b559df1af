//! Linking a Twitch account to a logged-in player.

use axum::http::{Method, StatusCode};
use playerbase::domain::Scope;
use serde_json::{Value, json};

use playerbase::twitch::login::pkce_challenge;

use super::*;
use crate::support::bearer;
use crate::v1_accounts::{api_key, create_player, login, send_json, sign_up};

async fn start_link(t: &TestApp, auth: &str, body: Value) -> Reply {
    send_json(t, Method::POST, "/api/v1/auth/twitch/link", Some(auth), body).await
}

async fn confirm(t: &TestApp, auth: &str, body: Value) -> Reply {
    send_json(t, Method::POST, "/api/v1/auth/twitch/link/confirm", Some(auth), body).await
}

/// A whole link without a redirect: started and confirmed by the player of
/// `auth`, consented as `user_id`/`login`; the confirmation's reply.
async fn link(fake: &FakeTwitch, t: &TestApp, auth: &str, user_id: &str, login: &str) -> Reply {
    let state = state_of(&start_link(t, auth, json!({})).await);
    let landed = consent_and_return(fake, t, &state, user_id, login).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
    confirm(t, auth, json!({"link_code": landed.body["link_code"]})).await
}

#[tokio::test]
async fn twitch_link_links_the_account_to_the_calling_player() {
    let (fake, t) = app().await;
    let id = sign_up(&t, "alice").await;
    let profile = format!("/api/v1/players/{id}");
    assert_eq!(t.get(&profile).await.body["twitch"], Value::Null, "read once, so a kept profile would be stale");
    let session = login(&t, "alice").await;
    let state = state_of(&start_link(&t, &session.bearer(), json!({})).await);
    let landed = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(landed.status, StatusCode::OK, "{}", landed.body);
    assert_eq!(landed.body["expires_in"], 120);
    let link_code = landed.body["link_code"].as_str().unwrap();
    assert!(link_code.starts_with("pbl_"), "{}", landed.body);
    assert_eq!(t.get(&profile).await.body["twitch"], Value::Null, "nothing linked before the player confirms");
    let reply = confirm(&t, &session.bearer(), json!({"link_code": link_code})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store", "the private player, email included");
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
async fn twitch_link_with_a_redirect_lands_with_a_link_code_the_game_confirms_with_its_verifier() {
    let (fake, t) = app().await;
    sign_up(&t, "alice").await;
    let session = login(&t, "alice").await;
    let verifier = "dBjftJeZ4CVP-mB92K1uhbF1HSJbDbu4m3jZqTT2X5w";
    let body = json!({"redirect": GAME_REDIRECT, "code_challenge": pkce_challenge(verifier)});
    let state = state_of(&start_link(&t, &session.bearer(), body.clone()).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.header("location");
    assert!(location.starts_with("mygame://auth/twitch?link_code=pbl_"), "{location}");
    let without = confirm(&t, &session.bearer(), json!({"link_code": param(location, "link_code")})).await;
    assert_eq!((without.status, without.code()), (StatusCode::BAD_REQUEST, "invalid_code_verifier"));

    let state = state_of(&start_link(&t, &session.bearer(), body).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    let link_code = param(reply.header("location"), "link_code");
    let linked = confirm(&t, &session.bearer(), json!({"link_code": link_code, "code_verifier": verifier})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    assert_eq!(linked.body["twitch"]["user_id"], VIEWER_ID);
    let again = confirm(&t, &session.bearer(), json!({"link_code": link_code, "code_verifier": verifier})).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "invalid_code"), "good once");
}

/// Mallory starts a link and hands the consent page to a victim, who
/// approves with their own Twitch account: the link code lands with the
/// victim, and the victim's client cannot finish Mallory's link.
#[tokio::test]
async fn a_link_consented_to_by_someone_else_links_nothing() {
    let (fake, t) = app().await;
    sign_up(&t, "mallory").await;
    sign_up(&t, "victim").await;
    let mallory = login(&t, "mallory").await;
    let victim = login(&t, "victim").await;
    let state = state_of(&start_link(&t, &mallory.bearer(), json!({"redirect": GAME_REDIRECT})).await);
    let reply = consent_and_return(&fake, &t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    let link_code = param(reply.header("location"), "link_code");
    let refused = confirm(&t, &victim.bearer(), json!({"link_code": link_code})).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "not_your_link"));
    let spent = confirm(&t, &mallory.bearer(), json!({"link_code": link_code})).await;
    assert_eq!((spent.status, spent.code()), (StatusCode::BAD_REQUEST, "invalid_code"), "a refused code is spent");
    let guessed = confirm(&t, &mallory.bearer(), json!({"link_code": "pbl_guessed"})).await;
    assert_eq!(guessed.code(), "invalid_code");
    for session in [&mallory, &victim] {
        assert_eq!(t.get_as("/api/v1/me", &session.bearer()).await.body["twitch"], Value::Null);
    }
    assert_eq!(t.get(&format!("/api/v1/players/by-twitch/{VIEWER_ID}")).await.status, StatusCode::NOT_FOUND);
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
    assert_eq!(link(&fake, &t, &bob.bearer(), VIEWER_ID, VIEWER_LOGIN).await.status, StatusCode::OK);
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
        assert_eq!(link(&fake, &t, &alice.bearer(), user_id, login).await.status, StatusCode::OK);
    }
    let me = t.get_as("/api/v1/me", &alice.bearer()).await;
    assert_eq!(me.body["twitch"], json!({"user_id": "1002", "login": "second"}));
    assert_eq!(t.get("/api/v1/players/by-twitch/1001").await.status, StatusCode::NOT_FOUND);
}
