//! `GET /api/v1/me/export`: the player's own data, whole.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, basic};
use crate::v1_accounts::{PASSWORD, create_player, login};
use crate::v1_awards::Game;

#[tokio::test]
async fn the_export_is_the_private_player_and_the_whole_ledger() {
    let g = Game::new().await;
    let created =
        create_player(&g.t, None, json!({"username": "KickSent", "password": PASSWORD, "email": "k@example.com"}))
            .await;
    let id = created.body["id"].as_i64().unwrap();
    let other = g.player("other").await;
    g.award_with(&g.key, id, json!({"stats": {"meleeAtkXp": 5}, "reason": "first"}), None).await;
    g.award(other, json!({"meleeAtkXp": 7})).await;
    // Over one page of the ledger, in one batch.
    let awards: Vec<_> = (0..1500).map(|i| json!({"player_id": id, "stat": "shieldXp", "amount": i % 3})).collect();
    assert_eq!(g.batch(json!({"awards": awards, "reason": "raid"}), None).await.status, StatusCode::OK);

    let session = login(&g.t, "kicksent").await;
    let export = g.t.get_as("/api/v1/me/export", &session.bearer()).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    assert_eq!(export.header("content-disposition"), "attachment; filename=\"playerbase-export-KickSent.json\"");
    assert_eq!(export.header("cache-control"), "no-store");
    assert_eq!(export.header("content-type"), "application/json");
    let me = g.t.get_as("/api/v1/me", &session.bearer()).await.body;
    assert_eq!(export.body["player"], me, "the profile is the private view, email included");
    assert_eq!(export.body["player"]["email"], "k@example.com");

    let ledger = export.body["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 1501, "every row, no other player's");
    let ids: Vec<i64> = ledger.iter().map(|row| row["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let first = &ledger[0];
    assert_eq!(
        (&first["stat"], &first["amount"], &first["value_after"], &first["source"], &first["reason"]),
        (&json!("meleeAtkXp"), &json!(5), &json!(5), &json!("api:game-server"), &json!("first"))
    );
    let last = ledger.last().unwrap();
    assert_eq!(last["value_after"], export.body["player"]["stats"]["shieldXp"]);
    assert!(export.body["exported_at"].as_str().unwrap().ends_with('Z'));

    // Basic credentials work as on /api/v1/me; no credentials do not.
    let by_password = g.t.get_as("/api/v1/me/export/", &basic("kicksent", PASSWORD)).await;
    assert_eq!(by_password.status, StatusCode::OK);
    let anonymous = g.t.get("/api/v1/me/export").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let key = g.t.get_as("/api/v1/me/export", &crate::support::bearer(&g.key)).await;
    assert_eq!(key.status, StatusCode::UNAUTHORIZED, "an API key is not a player");
}

#[tokio::test]
async fn a_new_player_exports_an_empty_ledger() {
    let t = TestApp::new().await;
    crate::v1_accounts::sign_up(&t, "fresh").await;
    let session = login(&t, "fresh").await;
    let export = t.send(Method::GET, "/api/v1/me/export", Some(&session.bearer()), None).await;
    assert_eq!(export.body["ledger"], json!([]));
    assert_eq!(export.body["player"]["twitch"], json!(null));
}

#[tokio::test]
async fn known_addresses_are_exported_forgotten_at_a_new_password_and_deleted_with_the_player() {
    let mut config = playerbase::Config::default();
    config.limits.trust_forwarded_for = true;
    let t = TestApp::with_config(config).await;
    crate::v1_accounts::sign_up(&t, "kicksent").await;
    let login_from = |ip: &'static str, password: &'static str| {
        let t = &t;
        async move {
            let body = json!({"username": "kicksent", "password": password}).to_string().into_bytes();
            t.send_with(Method::POST, "/api/v1/auth/login", &[("x-forwarded-for", ip)], Some(body)).await
        }
    };
    let session = login_from("203.0.113.9", PASSWORD).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.body);
    assert_eq!(login_from("2001:db8:1:2::aaaa", PASSWORD).await.status, StatusCode::OK);
    let auth = crate::support::bearer(session.body["access_token"].as_str().unwrap());
    let export = t.get_as("/api/v1/me/export", &auth).await.body;
    let networks: Vec<&str> =
        export["known_addresses"].as_array().unwrap().iter().map(|a| a["network"].as_str().unwrap()).collect();
    assert_eq!(networks, ["2001:db8:1:2::", "203.0.113.9"], "an IPv6 address by its /64");
    assert!(export["known_addresses"][0]["known_until"].as_str().unwrap().ends_with('Z'));

    let new_password = "another-long-pw";
    let change = json!({"current_password": PASSWORD, "new_password": new_password}).to_string().into_bytes();
    assert_eq!(t.send(Method::PATCH, "/api/v1/me", Some(&auth), Some(change)).await.status, StatusCode::OK);
    assert_eq!(t.get_as("/api/v1/me/export", &auth).await.body["known_addresses"], json!([]), "a new password");

    assert_eq!(login_from("203.0.113.9", new_password).await.status, StatusCode::OK);
    assert_eq!(super::count(&t, "known_addresses").await, 1);
    let delete = json!({"current_password": new_password}).to_string().into_bytes();
    assert_eq!(t.send(Method::DELETE, "/api/v1/me", Some(&auth), Some(delete)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(super::count(&t, "known_addresses").await, 0, "deleted with the player");
}
