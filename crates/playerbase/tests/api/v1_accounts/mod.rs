//! API v1: players, sessions, the caller's account, the stat catalog.

mod me;
mod players;
mod sessions;
mod stats;

use axum::http::{Method, StatusCode};
use playerbase::domain::Scope;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, bearer};

pub const PASSWORD: &str = "python3x";

/// A live API key with `scopes`, made the way `playerbase api-key create` makes it.
pub async fn api_key(t: &TestApp, name: &str, scopes: &[Scope]) -> String {
    let mut out = Vec::new();
    playerbase::commands::api_key::create(&*t.state.store, name, scopes, t.state.clock.now(), &mut out).await.unwrap();
    String::from_utf8(out).unwrap().trim().to_owned()
}

pub async fn send_json(t: &TestApp, method: Method, path: &str, auth: Option<&str>, body: Value) -> Reply {
    t.send(method, path, auth, Some(body.to_string().into_bytes())).await
}

pub async fn create_player(t: &TestApp, auth: Option<&str>, body: Value) -> Reply {
    send_json(t, Method::POST, "/api/v1/players", auth, body).await
}

/// Signs up through v1 with [`PASSWORD`] and returns the id.
pub async fn sign_up(t: &TestApp, username: &str) -> i64 {
    let reply = create_player(t, None, json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

pub struct Session {
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn bearer(&self) -> String {
        bearer(&self.access)
    }
}

fn session_of(reply: &Reply) -> Session {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    Session {
        access: reply.body["access_token"].as_str().unwrap().to_owned(),
        refresh: reply.body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

pub async fn login_reply(t: &TestApp, username: &str, password: &str) -> Reply {
    t.post("/api/v1/auth/login", json!({"username": username, "password": password})).await
}

pub async fn login(t: &TestApp, username: &str) -> Session {
    login_with(t, username, PASSWORD).await
}

pub async fn login_with(t: &TestApp, username: &str, password: &str) -> Session {
    session_of(&login_reply(t, username, password).await)
}

pub async fn refresh_reply(t: &TestApp, refresh_token: &str) -> Reply {
    t.post("/api/v1/auth/refresh", json!({"refresh_token": refresh_token})).await
}

pub async fn refresh(t: &TestApp, refresh_token: &str) -> Session {
    session_of(&refresh_reply(t, refresh_token).await)
}

/// The status `GET /api/v1/me` answers with `auth`.
pub async fn me_status(t: &TestApp, auth: &str) -> StatusCode {
    t.get_as("/api/v1/me", auth).await.status
}
