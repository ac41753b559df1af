//! Who may award: only live API keys holding awards:write (or admin).

use axum::http::StatusCode;
use playerbase::auth::api_keys::FRESH_FOR;
use playerbase::domain::Scope;
use serde_json::json;

use super::Game;
use crate::v1_accounts::{api_key, login};

#[tokio::test]
async fn only_live_keys_with_the_scope_may_award() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let body = json!({"stats": {"meleeAtkXp": 1}});
    let session = login(&g.t, "kicksent").await;
    let players_only = api_key(&g.t, "signup-bot", &[Scope::PlayersWrite]).await;
    let admin = api_key(&g.t, "ops", &[Scope::Admin]).await;

    let no_key = g.t.post(&format!("/api/v1/players/{id}/awards"), body.clone()).await;
    assert_eq!(no_key.status, StatusCode::UNAUTHORIZED);
    assert!(no_key.headers.contains_key("www-authenticate"));
    let player = g.award_with(&session.access, id, body.clone(), None).await;
    assert_eq!(
        (player.status, player.code()),
        (StatusCode::FORBIDDEN, "missing_scope"),
        "a player token is no key, but its player is known: 403, so no client renews its token and retries"
    );
    assert_eq!(
        g.award_with("pba_made_up_token_00000000000000000000000000", id, body.clone(), None).await.status,
        StatusCode::UNAUTHORIZED,
        "an unknown player token is still 401"
    );
    let path = format!("/api/v1/players/{id}/awards");
    let auth = crate::support::basic("kicksent", crate::v1_accounts::PASSWORD);
    let password = g.t.send(axum::http::Method::POST, &path, Some(&auth), Some(body.to_string().into_bytes())).await;
    assert_eq!(password.status, StatusCode::UNAUTHORIZED, "a password is not even checked here");
    assert!(password.body["error"]["message"].as_str().unwrap().contains("API key"), "{}", password.body);
    assert_eq!(
        g.award_with("pbk_made_up_key_000000000000000000000000000", id, body.clone(), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let forbidden = g.award_with(&players_only, id, body.clone(), None).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.body["error"]["code"], "missing_scope");
    assert_eq!(g.award_with(&admin, id, body.clone(), None).await.status, StatusCode::OK, "admin may do everything");

    // Revoked as `playerbase api-key revoke` does, from outside the server: the
    // server reads a key it has seen again after at most a second.
    assert_eq!(g.award_with(&g.key, id, body.clone(), None).await.status, StatusCode::OK);
    playerbase::commands::api_key::revoke(&*g.t.state.store, "game-server", g.t.state.clock.now()).await.unwrap();
    let revoked = std::time::Instant::now();
    let mut applied_after = 0;
    while g.award_with(&g.key, id, body.clone(), None).await.status == StatusCode::OK {
        applied_after += 1;
        assert!(revoked.elapsed() < FRESH_FOR * 2, "the revoked key still works after {:?}", revoked.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(g.award_with(&g.key, id, body, None).await.status, StatusCode::UNAUTHORIZED, "and stays revoked");
    assert_eq!(g.value(id, "meleeAtkXp").await, 2 + applied_after);
}
