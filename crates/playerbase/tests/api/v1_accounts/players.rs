use axum::http::StatusCode;
use playerbase::Config;
use playerbase::config::Registration;
use playerbase::domain::Scope;
use serde_json::{Value, json};

use super::{PASSWORD, api_key, create_player, login, login_reply, sign_up};
use crate::support::{TestApp, basic, bearer};

#[tokio::test]
async fn anyone_signs_up_with_a_password_and_gets_the_public_player() {
    let t = TestApp::new().await;
    let reply =
        create_player(&t, None, json!({"username": "kicksent", "password": PASSWORD, "email": "k@example.com"})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(reply.header("location"), format!("/api/v1/players/{id}"));
    assert_eq!(reply.body["username"], "kicksent");
    assert_eq!(reply.body["twitch"], Value::Null);
    assert_eq!(reply.body["stats"].as_object().unwrap().len(), 10);
    assert_eq!(reply.body["stats"]["meleeAtkXp"], 0);
    assert_eq!(reply.body["levels"]["meleeAtkXp"], 1);
    let text = String::from_utf8_lossy(&reply.raw);
    assert!(!text.contains("k@example.com") && !text.contains(PASSWORD), "public JSON leaks: {text}");

    let read_back = t.get(&format!("/api/v1/players/{id}")).await;
    assert_eq!(read_back.status, StatusCode::OK);
    assert_eq!(read_back.body, reply.body);
    assert_eq!(login_reply(&t, "kicksent", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_players_write_key_creates_without_password_and_links_twitch() {
    let t = TestApp::new().await;
    for (name, scope) in [("bot", Scope::PlayersWrite), ("root", Scope::Admin)] {
        let key = api_key(&t, name, &[scope]).await;
        let twitch_id = if scope == Scope::Admin { "1" } else { "44429626" };
        let username = format!("{name}_player");
        let reply =
            create_player(&t, Some(&bearer(&key)), json!({"username": username, "twitch_user_id": twitch_id})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}: {}", reply.body);
        assert_eq!(reply.body["twitch"], json!({"user_id": twitch_id, "login": null}));
        let found = t.get(&format!("/api/v1/players/by-twitch/{twitch_id}")).await;
        assert_eq!(found.status, StatusCode::OK);
        assert_eq!(found.body["id"], reply.body["id"]);
        // No password: no password logs in, not even an empty one.
        assert_eq!(login_reply(&t, &username, "").await.status, StatusCode::UNAUTHORIZED);
    }
    let key = api_key(&t, "withpass", &[Scope::PlayersWrite]).await;
    let with_password =
        create_player(&t, Some(&bearer(&key)), json!({"username": "keyed", "password": PASSWORD})).await;
    assert_eq!(with_password.status, StatusCode::CREATED);
    assert_eq!(login_reply(&t, "keyed", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_a_players_write_key_may_omit_the_password_or_set_twitch() {
    let t = TestApp::new().await;
    sign_up(&t, "existing").await;
    let player = login(&t, "existing").await.bearer();
    let awards_key = bearer(&api_key(&t, "awarder", &[Scope::AwardsWrite]).await);
    let bodies = [
        json!({"username": "newbie"}),
        json!({"username": "newbie", "password": null}),
        json!({"username": "newbie", "password": PASSWORD, "twitch_user_id": "44429626"}),
    ];
    for body in &bodies {
        let anonymous = create_player(&t, None, body.clone()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(anonymous.headers.contains_key("www-authenticate"));
        for (who, auth) in [("player", &player), ("awards key", &awards_key)] {
            let reply = create_player(&t, Some(auth), body.clone()).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} {body}: {}", reply.body);
            assert_eq!(reply.code(), "missing_scope");
        }
    }
    assert_eq!(t.get("/api/v1/players/by-name/newbie").await.status, StatusCode::NOT_FOUND, "nothing was created");
    // An empty Twitch id is none, as Unity's JsonUtility sends it.
    let plain =
        create_player(&t, None, json!({"username": "newbie", "password": PASSWORD, "twitch_user_id": ""})).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.body);
    assert_eq!(plain.body["twitch"], Value::Null);
}

#[tokio::test]
async fn credentials_that_are_sent_must_be_valid_never_anonymous() {
    let t = TestApp::new().await;
    sign_up(&t, "existing").await;
    let revoked = api_key(&t, "old", &[Scope::PlayersWrite]).await;
    playerbase::commands::api_key::revoke(&*t.state.store, "old", t.state.clock.now()).await.unwrap();
    let bad = [
        bearer(&revoked),
        bearer("pbk_not_a_real_key_at_all_but_long_enough_00000"),
        bearer("pba_not_a_real_token_at_all_but_long_enough_000"),
        bearer("garbage"),
        basic("existing", "wrong password"),
        "Digest abc".to_owned(),
    ];
    for auth in bad {
        let reply = create_player(&t, Some(&auth), json!({"username": "newbie", "password": PASSWORD})).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth}: {}", reply.body);
        assert_eq!(reply.code(), "unauthorized");
    }
    assert_eq!(t.get("/api/v1/players/by-name/newbie").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn closed_registration_refuses_everyone_but_a_players_write_key() {
    let mut config = Config::default();
    config.auth.registration = Registration::Closed;
    let t = TestApp::with_config(config).await;
    let body = json!({"username": "newbie", "password": PASSWORD});
    let anonymous = create_player(&t, None, body.clone()).await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    assert_eq!(anonymous.code(), "registration_closed");
    let awards_key = bearer(&api_key(&t, "awarder", &[Scope::AwardsWrite]).await);
    assert_eq!(create_player(&t, Some(&awards_key), body.clone()).await.code(), "registration_closed");
    assert_eq!(t.post("/api/users", body.clone()).await.code(), "registration_closed", "the seed's route too");

    let key = bearer(&api_key(&t, "signup", &[Scope::PlayersWrite]).await);
    let created = create_player(&t, Some(&key), body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let player = login(&t, "newbie").await.bearer();
    let by_player = create_player(&t, Some(&player), json!({"username": "friend", "password": PASSWORD})).await;
    assert_eq!(by_player.status, StatusCode::FORBIDDEN);
    assert_eq!(by_player.code(), "registration_closed");
}

#[tokio::test]
async fn taken_username_email_and_twitch_account_are_409() {
    let t = TestApp::new().await;
    let key = bearer(&api_key(&t, "bot", &[Scope::PlayersWrite]).await);
    t.register("seeded", PASSWORD).await;
    let first = create_player(
        &t,
        Some(&key),
        json!({"username": "kicksent", "password": PASSWORD, "email": "k@example.com", "twitch_user_id": "44429626"}),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let cases = [
        (json!({"username": "KICKSENT", "password": PASSWORD}), "username_taken"),
        (json!({"username": "SEEDED", "password": PASSWORD}), "username_taken"),
        (json!({"username": "other", "password": PASSWORD, "email": "K@Example.com"}), "email_taken"),
        (json!({"username": "other", "twitch_user_id": "44429626"}), "twitch_user_taken"),
    ];
    for (body, code) in cases {
        let reply = create_player(&t, Some(&key), body.clone()).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{body}");
        assert_eq!(reply.code(), code, "{body}");
    }
    assert_eq!(t.get("/api/v1/players/by-name/other").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_input_is_400_and_creates_nothing() {
    let t = TestApp::new().await;
    let key = bearer(&api_key(&t, "bot", &[Scope::PlayersWrite]).await);
    let cases = [
        (json!({"username": "bad name", "password": PASSWORD}), "invalid_username"),
        (json!({"username": "", "password": PASSWORD}), "invalid_username"),
        (json!({"username": "newbie", "password": "short"}), "invalid_password"),
        (json!({"username": "newbie", "password": PASSWORD, "email": "nope"}), "invalid_email"),
        (json!({"username": "newbie", "twitch_user_id": "kicksent"}), "invalid_twitch_user_id"),
        (json!({"password": PASSWORD}), "invalid_body"),
        (json!({"username": 5, "password": PASSWORD}), "invalid_body"),
    ];
    for (body, code) in cases {
        let reply = create_player(&t, Some(&key), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.code(), code, "{body}");
    }
    let malformed = t.send(axum::http::Method::POST, "/api/v1/players", None, Some(b"{\"username\":".to_vec())).await;
    assert_eq!(malformed.code(), "malformed_json");
    assert_eq!(t.get("/api/users").await.body["users"], json!([]));
}

#[tokio::test]
async fn players_are_found_by_id_name_and_twitch_id_and_unknown_ones_are_404() {
    let t = TestApp::new().await;
    let key = bearer(&api_key(&t, "bot", &[Scope::PlayersWrite]).await);
    let created = create_player(&t, Some(&key), json!({"username": "12345", "twitch_user_id": "987"})).await;
    let id = created.body["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/players/{id}"),
        format!("/api/v1/players/{id}/"),
        "/api/v1/players/by-name/12345".to_owned(),
        "/api/v1/players/by-twitch/987/".to_owned(),
    ] {
        let reply = t.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.body, created.body, "{path}");
    }
    sign_up(&t, "KickSent").await;
    let by_name = t.get("/api/v1/players/by-name/kicksent").await;
    assert_eq!(by_name.body["username"], "KickSent", "found ignoring case, shown as written");
    for path in [
        "/api/v1/players/999",
        "/api/v1/players/by-name/nobody",
        "/api/v1/players/by-name/not-a-name",
        "/api/v1/players/by-twitch/988",
        "/api/v1/players/by-twitch/kicksent",
    ] {
        let reply = t.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "player_not_found", "{path}");
    }
    let not_a_number = t.get("/api/v1/players/kicksent").await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_number.code(), "invalid_path");
    let message = not_a_number.body["error"]["message"].as_str().unwrap();
    assert_eq!(
        message, r#"the path holds "kicksent" where a whole number belongs"#,
        "the API's words, not Rust's types"
    );
    let bad_limit = t.get("/api/v1/leaderboards/meleeAtkXp?limit=ten").await;
    assert_eq!((bad_limit.status, bad_limit.code()), (StatusCode::BAD_REQUEST, "invalid_query"));
    let message = bad_limit.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("invalid query string: limit: "), "{message}");
}
