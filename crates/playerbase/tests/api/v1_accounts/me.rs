use axum::http::{Method, StatusCode};
use playerbase::auth::token::{ACCESS_PREFIX, generate};
use playerbase::domain::Scope;
use playerbase::store::{NewToken, TokenKind};
use serde_json::{Value, json};

use super::{
    PASSWORD, api_key, create_player, login, login_reply, login_with, me_status, refresh_reply, send_json, sign_up,
};
use crate::support::{TestApp, basic, bearer};

const NEW_PASSWORD: &str = "rustacean";

async fn patch_me(t: &TestApp, auth: &str, body: Value) -> crate::support::Reply {
    send_json(t, Method::PATCH, "/api/v1/me", Some(auth), body).await
}

async fn delete_me(t: &TestApp, auth: &str, password: &str) -> crate::support::Reply {
    send_json(t, Method::DELETE, "/api/v1/me", Some(auth), json!({"current_password": password})).await
}

#[tokio::test]
async fn me_is_the_private_player() {
    let t = TestApp::new().await;
    let created =
        create_player(&t, None, json!({"username": "kicksent", "password": PASSWORD, "email": "k@example.com"})).await;
    let session = login(&t, "kicksent").await;
    let me = t.get_as("/api/v1/me/", &session.bearer()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "k@example.com");
    let mut public = me.body.clone();
    public.as_object_mut().unwrap().remove("email");
    assert_eq!(public, created.body, "the private view is the public one plus the email");
    let anonymous = t.get("/api/v1/me").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers.contains_key("www-authenticate"));
}

#[tokio::test]
async fn patch_changes_the_email_with_the_current_password() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    sign_up(&t, "other").await;
    patch_me(&t, &login(&t, "other").await.bearer(), json!({"current_password": PASSWORD, "email": "o@example.com"}))
        .await;
    let auth = login(&t, "kicksent").await.bearer();

    let wrong = patch_me(&t, &auth, json!({"current_password": "wrong password", "email": "k@example.com"})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "wrong_password", "not a token's failure: a client must not refresh and retry");
    let missing = patch_me(&t, &auth, json!({"email": "k@example.com"})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let invalid = patch_me(&t, &auth, json!({"current_password": PASSWORD, "email": "nope"})).await;
    assert_eq!(invalid.code(), "invalid_email");
    let taken = patch_me(&t, &auth, json!({"current_password": PASSWORD, "email": "O@EXAMPLE.COM"})).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "email_taken"));
    assert_eq!(t.get_as("/api/v1/me", &auth).await.body["email"], Value::Null, "refused changes change nothing");

    let changed = patch_me(&t, &auth, json!({"current_password": PASSWORD, "email": "k@example.com"})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["email"], "k@example.com");
    assert_eq!(changed.body["username"], "kicksent");
    assert_eq!(t.get_as("/api/v1/me", &auth).await.body["email"], "k@example.com");
    let kept = patch_me(&t, &auth, json!({"current_password": PASSWORD, "email": ""})).await;
    assert_eq!(kept.body["email"], "k@example.com", "an empty email leaves it as it is");

    // Unity's JsonUtility sends "" for every unset string.
    let unity = json!({"current_password": PASSWORD, "email": "kk@example.com", "new_password": ""});
    let email_only = patch_me(&t, &auth, unity).await;
    assert_eq!(email_only.status, StatusCode::OK, "{}", email_only.body);
    assert_eq!(email_only.body["email"], "kk@example.com");
    assert_eq!(login_reply(&t, "kicksent", PASSWORD).await.status, StatusCode::OK, "the password is as it was");
}

#[tokio::test]
async fn patch_removes_the_email_and_frees_it_for_others() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    sign_up(&t, "other").await;
    let auth = login(&t, "kicksent").await.bearer();
    patch_me(&t, &auth, json!({"current_password": PASSWORD, "email": "k@example.com"})).await;

    let both = json!({"current_password": PASSWORD, "email": "n@example.com", "remove_email": true});
    let refused = patch_me(&t, &auth, both).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::BAD_REQUEST, "invalid_body"));
    let null = patch_me(&t, &auth, json!({"current_password": PASSWORD, "remove_email": null})).await;
    assert_eq!((null.status, &null.body["email"]), (StatusCode::OK, &json!("k@example.com")), "null leaves it");
    let wrong = patch_me(&t, &auth, json!({"current_password": "wrong password", "remove_email": true})).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get_as("/api/v1/me", &auth).await.body["email"], "k@example.com", "refused removals remove nothing");

    let removed = patch_me(&t, &auth, json!({"current_password": PASSWORD, "remove_email": true})).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["email"], Value::Null);
    assert_eq!(t.get_as("/api/v1/me", &auth).await.body["email"], Value::Null);
    let other = login(&t, "other").await.bearer();
    let taken_over = patch_me(&t, &other, json!({"current_password": PASSWORD, "email": "K@example.com"})).await;
    assert_eq!(taken_over.status, StatusCode::OK, "the removed email is free: {}", taken_over.body);
}

#[tokio::test]
async fn a_new_password_through_patch_ends_every_other_session_and_keeps_the_callers() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let caller = login(&t, "kicksent").await;
    let other = login(&t, "kicksent").await;
    let legacy = bearer(&t.token("kicksent", PASSWORD).await);

    let short = patch_me(&t, &caller.bearer(), json!({"current_password": PASSWORD, "new_password": "short"})).await;
    assert_eq!(short.code(), "invalid_password");
    assert_eq!(me_status(&t, &other.bearer()).await, StatusCode::OK, "a refused change ends nothing");

    let reply =
        patch_me(&t, &caller.bearer(), json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(me_status(&t, &caller.bearer()).await, StatusCode::OK, "the caller's session stays");
    assert_eq!(me_status(&t, &other.bearer()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &legacy).await, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh_reply(&t, &other.refresh).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh_reply(&t, &caller.refresh).await.status, StatusCode::OK, "the caller's refresh token too");
    assert_eq!(login_reply(&t, "kicksent", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login_reply(&t, "kicksent", NEW_PASSWORD).await.status, StatusCode::OK);

    // With Basic username:password there is no caller's session to keep.
    let v1 = login_with(&t, "kicksent", NEW_PASSWORD).await;
    let basic_auth = basic("kicksent", NEW_PASSWORD);
    let by_password =
        patch_me(&t, &basic_auth, json!({"current_password": NEW_PASSWORD, "new_password": PASSWORD})).await;
    assert_eq!(by_password.status, StatusCode::OK);
    assert_eq!(me_status(&t, &v1.bearer()).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_new_password_through_the_seed_route_ends_every_session() {
    let t = TestApp::new().await;
    sign_up(&t, "kicksent").await;
    let sessions = [login(&t, "kicksent").await, login(&t, "kicksent").await];
    let reply = t
        .post("/api/users/update", json!({"username": "kicksent", "password": PASSWORD, "new_password": NEW_PASSWORD}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for session in &sessions {
        assert_eq!(me_status(&t, &session.bearer()).await, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh_reply(&t, &session.refresh).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn delete_removes_the_account_and_everything_personal() {
    let t = TestApp::new().await;
    let id = sign_up(&t, "kicksent").await;
    let session = login(&t, "kicksent").await;
    let legacy = bearer(&t.token("kicksent", PASSWORD).await);
    let db = t.db().await;
    sqlx::query("INSERT INTO player_stats (player_id, stat, value) VALUES ($1, 'shieldXp', 90)")
        .bind(id)
        .execute(&db)
        .await
        .unwrap();

    let wrong = delete_me(&t, &session.bearer(), "wrong password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get(&format!("/api/v1/players/{id}")).await.body["stats"]["shieldXp"], 90, "still there");

    let deleted = delete_me(&t, &session.bearer(), PASSWORD).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert!(deleted.raw.is_empty());
    assert_eq!(t.get(&format!("/api/v1/players/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/api/v1/players/by-name/kicksent").await.status, StatusCode::NOT_FOUND);
    assert_eq!(login_reply(&t, "kicksent", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &session.bearer()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&t, &legacy).await, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh_reply(&t, &session.refresh).await.status, StatusCode::UNAUTHORIZED);
    for table in ["player_stats", "sessions", "tokens", "players"] {
        let left: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&db).await.unwrap();
        assert_eq!(left, 0, "{table} keeps rows of the deleted player");
    }

    let again = sign_up(&t, "kicksent").await;
    assert!(again > id, "the name is free again; ids are never reused");
    assert_eq!(t.get(&format!("/api/v1/players/{again}")).await.body["stats"]["shieldXp"], 0);
}

#[tokio::test]
async fn a_player_without_a_password_cannot_change_or_delete_the_account() {
    let t = TestApp::new().await;
    let key = bearer(&api_key(&t, "bot", &[Scope::PlayersWrite]).await);
    let created = create_player(&t, Some(&key), json!({"username": "viewer", "twitch_user_id": "44429626"})).await;
    let id = created.body["id"].as_i64().unwrap();
    // Such a player will get sessions through Twitch login; arrange one directly.
    let secret = generate(ACCESS_PREFIX);
    let now = t.state.clock.now();
    let token = NewToken { hash: secret.hash.clone(), kind: TokenKind::Access, expires_at: now + 900 };
    t.state.store.create_session(id, None, &[token], now).await.unwrap().expect("the player exists");
    let auth = bearer(&secret.text);
    assert_eq!(me_status(&t, &auth).await, StatusCode::OK);

    for password in ["", PASSWORD] {
        let patch = patch_me(&t, &auth, json!({"current_password": password, "new_password": NEW_PASSWORD})).await;
        assert_eq!(patch.status, StatusCode::UNAUTHORIZED);
        assert_eq!(delete_me(&t, &auth, password).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(t.get(&format!("/api/v1/players/{id}")).await.status, StatusCode::OK);
    assert_eq!(login_reply(&t, "viewer", NEW_PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

/// A login checks the password, then makes its session: a password change
/// or a deletion coming between the two must not leave a session that was
/// made with the old password.
#[tokio::test]
async fn a_session_checked_against_a_replaced_password_is_not_made() {
    let app = TestApp::new().await;
    let t = &app;
    let id = sign_up(t, "kicksent").await;
    let stored_hash = || async {
        let name = playerbase::domain::username::Username::parse("kicksent").unwrap();
        t.state.store.player_by_username(&name).await.unwrap().unwrap().password_hash.unwrap()
    };
    let new_session = |checked_hash: Option<String>| async move {
        let secret = generate(ACCESS_PREFIX);
        let now = t.state.clock.now();
        let token = NewToken { hash: secret.hash.clone(), kind: TokenKind::Access, expires_at: now + 900 };
        let made = t.state.store.create_session(id, checked_hash.as_deref(), &[token], now).await.unwrap();
        (made, bearer(&secret.text))
    };
    let old_hash = stored_hash().await;
    let caller = login(t, "kicksent").await;
    let changed =
        patch_me(t, &caller.bearer(), json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let new_hash = stored_hash().await;
    assert_ne!(old_hash, new_hash);

    let (late, late_token) = new_session(Some(old_hash)).await;
    assert_eq!(late, None, "a session checked against the old password was made after the change");
    assert_eq!(me_status(t, &late_token).await, StatusCode::UNAUTHORIZED);
    let (current, current_token) = new_session(Some(new_hash)).await;
    assert!(current.is_some(), "the current password's session was refused");
    assert_eq!(me_status(t, &current_token).await, StatusCode::OK);

    assert_eq!(delete_me(t, &caller.bearer(), NEW_PASSWORD).await.status, StatusCode::NO_CONTENT);
    assert_eq!(new_session(None).await.0, None, "a deleted player got a session");
}
