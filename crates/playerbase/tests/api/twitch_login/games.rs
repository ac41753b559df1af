//! Games and web pages that give a `redirect`: the browser lands there with
//! a one-time code, never a token, and the game trades the code.

use axum::http::StatusCode;
use playerbase::twitch::login::pkce_challenge;
use serde_json::json;

use super::*;
use crate::support::bearer;

/// Runs a login started with `extra` and returns where the callback sent the browser.
async fn land(fake: &FakeTwitch, t: &TestApp, extra: &str) -> String {
    let state = start(t, extra).await;
    let reply = consent_and_return(fake, t, &state, VIEWER_ID, VIEWER_LOGIN).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    reply.header("location").to_owned()
}

async fn trade(t: &TestApp, body: serde_json::Value) -> Reply {
    t.post("/api/v1/auth/twitch/exchange", body).await
}

#[tokio::test]
async fn twitch_login_hands_a_game_a_one_time_code_it_trades_for_tokens() {
    let (fake, t) = app().await;
    let location = land(&fake, &t, "redirect=mygame://auth/twitch?from=menu").await;
    assert!(location.starts_with("mygame://auth/twitch?from=menu&code=pbc_"), "{location}");
    assert!(!location.contains("pba_") && !location.contains("pbr_"), "no token in a URL: {location}");
    let code = param(&location, "code").unwrap();
    let tokens = trade(&t, json!({"code": code})).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.header("cache-control"), "no-store");
    let me = t.get_as("/api/v1/me", &bearer(tokens.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["twitch"]["user_id"], VIEWER_ID);
    let again = trade(&t, json!({"code": code})).await;
    assert_eq!((again.status, again.code()), (StatusCode::BAD_REQUEST, "invalid_code"));
    let made_up = trade(&t, json!({"code": "pbc_madeup"})).await;
    assert_eq!(made_up.code(), "invalid_code");
}

#[tokio::test]
async fn twitch_login_codes_expire_after_two_minutes() {
    let (fake, t) = app().await;
    let location = land(&fake, &t, &format!("redirect={GAME_REDIRECT}")).await;
    t.state.clock.advance(121);
    let reply = trade(&t, json!({"code": param(&location, "code").unwrap()})).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_code"));
}

#[tokio::test]
async fn twitch_login_code_needs_the_pkce_verifier_when_started_with_a_challenge() {
    let (fake, t) = app().await;
    let verifier = "dBjftJeZ4CVP-mB92K1uhbF1HSJbDbu4m3jZqTT2X5w";
    let with_challenge = format!("redirect={GAME_REDIRECT}&code_challenge={}", pkce_challenge(verifier));
    let location = land(&fake, &t, &with_challenge).await;
    let wrong = trade(&t, json!({"code": param(&location, "code").unwrap(), "code_verifier": "not-it"})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::BAD_REQUEST, "invalid_code_verifier"));
    let location = land(&fake, &t, &with_challenge).await;
    let missing = trade(&t, json!({"code": param(&location, "code").unwrap()})).await;
    assert_eq!(missing.code(), "invalid_code_verifier");
    let location = land(&fake, &t, &with_challenge).await;
    let right = trade(&t, json!({"code": param(&location, "code").unwrap(), "code_verifier": verifier})).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    // A game using PKCE is handed a code from a login someone else started
    // without a challenge (their own Twitch account, to play as them): refused.
    let planted = land(&fake, &t, &format!("redirect={GAME_REDIRECT}")).await;
    let reply = trade(&t, json!({"code": param(&planted, "code").unwrap(), "code_verifier": verifier})).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_code_verifier"));
    let bad_challenge = t.get(&format!("/api/v1/auth/twitch?redirect={GAME_REDIRECT}&code_challenge=short")).await;
    assert_eq!((bad_challenge.status, bad_challenge.code()), (StatusCode::BAD_REQUEST, "invalid_code_challenge"));
}

#[tokio::test]
async fn twitch_login_sends_failures_to_the_redirect() {
    let (fake, t) = app().await;
    let state = start(&t, &format!("redirect={GAME_REDIRECT}")).await;
    let reply = t.get(&format!("/auth/twitch/callback?error=access_denied&state={state}")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), "mygame://auth/twitch?error=twitch_access_denied");
    fake.fail_token_exchange();
    let location = land(&fake, &t, &format!("redirect={GAME_REDIRECT}")).await;
    assert_eq!(location, "mygame://auth/twitch?error=twitch_login_failed");
}

#[tokio::test]
async fn twitch_login_refuses_redirects_it_was_not_told_about() {
    let (_fake, t) = app().await;
    for redirect in [
        "https://evil.example/",
        "https://game.example.evil.example/",
        "https://game.example@evil.example/",
        "mygame://authx",
        "https://game.example/done#fragment",
        "not a url",
    ] {
        let encoded: String = url_encode(redirect);
        let reply = t.get(&format!("/api/v1/auth/twitch?redirect={encoded}")).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "invalid_redirect"), "{redirect}");
        assert_eq!(t.get(&format!("/auth/twitch?redirect={encoded}")).await.status, StatusCode::BAD_REQUEST);
    }
    for allowed in ["https://game.example/after-login", "mygame://auth/twitch"] {
        let reply = t.get(&format!("/api/v1/auth/twitch?redirect={}", url_encode(allowed))).await;
        assert_eq!(reply.status, StatusCode::OK, "{allowed}: {}", reply.body);
    }
}

fn url_encode(text: &str) -> String {
    Url::parse_with_params("http://x/", [("v", text)]).unwrap().query().unwrap().trim_start_matches("v=").to_owned()
}
