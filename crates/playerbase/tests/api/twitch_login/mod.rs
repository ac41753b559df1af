//! "Log in with Twitch" against the fake Twitch server: the redirect to
//! Twitch, the callback, logins, links, games' one-time codes, and every
//! way it can go wrong.

mod games;
mod link;
mod login;

use axum::http::StatusCode;
use playerbase::Config;
use reqwest::Url;

use crate::support::fake_twitch::FakeTwitch;
use crate::support::{Reply, TestApp};

pub const PUBLIC_URL: &str = "https://game.example";
pub const CALLBACK: &str = "https://game.example/auth/twitch/callback";
/// A game's own redirect, allowed by `twitch.login_redirects`.
pub const GAME_REDIRECT: &str = "mygame://auth/twitch";

pub const VIEWER_ID: &str = "141981764";
pub const VIEWER_LOGIN: &str = "twitchdev";

/// An app whose `[twitch]` section points at a fresh fake Twitch.
pub async fn app() -> (FakeTwitch, TestApp) {
    let fake = FakeTwitch::start().await;
    let mut config = Config { public_url: PUBLIC_URL.into(), ..Config::default() };
    config.twitch = fake.config();
    config.twitch.login_redirects = vec!["mygame://auth".into()];
    let t = TestApp::with_config(config).await;
    (fake, t)
}

/// The query parameters of a URL.
pub fn params(url: &str) -> Vec<(String, String)> {
    Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    params(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The `state` of an authorize URL answered by `/api/v1/auth/twitch…`.
pub fn state_of(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    param(reply.body["authorize_url"].as_str().unwrap(), "state").expect("no state in the authorize URL")
}

/// Starts a login through the API (optionally with `extra` query text) and returns its state.
pub async fn start(t: &TestApp, extra: &str) -> String {
    state_of(&t.get(&format!("/api/v1/auth/twitch?{extra}")).await)
}

/// Twitch sending the browser back after the user consented as `user_id`/`login`.
pub async fn consent_and_return(fake: &FakeTwitch, t: &TestApp, state: &str, user_id: &str, login: &str) -> Reply {
    let code = fake.consent(user_id, login);
    t.get(&format!("/auth/twitch/callback?code={code}&scope=&state={state}")).await
}

/// A whole login as the viewer without a redirect: the token pair's reply.
pub async fn log_in(fake: &FakeTwitch, t: &TestApp, user_id: &str, login: &str) -> Reply {
    let state = start(t, "").await;
    consent_and_return(fake, t, &state, user_id, login).await
}
