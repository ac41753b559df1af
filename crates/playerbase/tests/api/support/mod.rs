//! A fresh app on a fresh database per test (SQLite, or PostgreSQL when
//! `PLAYERBASE_TEST_POSTGRES` is set), driven through the real router
//! without a socket.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use playerbase::twitch::chat::ChatSender;
use playerbase::{App, AppState, Clock, Config, build_app};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::database::FreshDatabase;

pub mod fake_twitch;

pub struct TestApp {
    pub app: App,
    pub state: AppState,
    /// The app's `Config::database`: a SQLite path or a PostgreSQL URL.
    pub database: String,
    /// The database's guard; `None` on another instance of the same database.
    _fresh: Option<FreshDatabase>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
    }
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        Self::start(config, FreshDatabase::new().await).await
    }

    /// An app whose Twitch bot speaks through `chat`.
    pub async fn with_chat(config: Config, chat: std::sync::Arc<dyn ChatSender>) -> Self {
        Self::start_with_chat(config, FreshDatabase::new().await, Some(chat)).await
    }

    /// An app on a copy of `backup` (a SQLite file), restored as the README
    /// says: the file is copied where the database lives, then the server starts on it.
    pub async fn restored_from(backup: &std::path::Path) -> Self {
        let fresh = FreshDatabase::sqlite();
        std::fs::copy(backup, &fresh.database).unwrap();
        Self::start(Config::default(), fresh).await
    }

    /// An app on `fresh`, whichever backend the environment picks for others.
    pub async fn on(fresh: FreshDatabase) -> Self {
        Self::start(Config::default(), fresh).await
    }

    /// An app with `config` on `fresh`.
    pub async fn on_with(fresh: FreshDatabase, config: Config) -> Self {
        Self::start(config, fresh).await
    }

    async fn start(config: Config, fresh: FreshDatabase) -> Self {
        Self::start_with_chat(config, fresh, None).await
    }

    async fn start_with_chat(
        mut config: Config,
        fresh: FreshDatabase,
        chat: Option<std::sync::Arc<dyn ChatSender>>,
    ) -> Self {
        config.database = fresh.database.clone();
        let store = playerbase::store::open(&config.database).await.unwrap();
        let state = AppState::start_with_chat(config, store, Clock::default(), chat).await.unwrap();
        Self { app: build_app(state.clone()), state, database: fresh.database.clone(), _fresh: Some(fresh) }
    }

    /// Whether the app runs on PostgreSQL (`PLAYERBASE_TEST_POSTGRES`).
    pub fn on_postgres(&self) -> bool {
        playerbase::store::is_postgres(&self.database)
    }

    /// The database file, when the app runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        (!self.on_postgres()).then(|| self.database.clone().into())
    }

    /// A second app on this app's database and configuration, as another
    /// server process sharing it would be. Drop it before `self`.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_at(Clock::default()).await
    }

    /// [`TestApp::another_instance`], whose clock is `clock`.
    pub async fn another_instance_at(&self, clock: Clock) -> TestApp {
        let config = self.state.config.clone();
        let store = playerbase::store::open(&config.database).await.unwrap();
        let state = AppState::start(config, store, clock).await.unwrap();
        Self { app: build_app(state.clone()), state, database: self.database.clone(), _fresh: None }
    }

    /// The response as it comes, body unread (for streams that never end).
    pub async fn respond(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> axum::response::Response {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        self.app.clone().oneshot(request).await.unwrap()
    }

    pub async fn send(&self, method: Method, path: &str, auth: Option<&str>, body: Option<Vec<u8>>) -> Reply {
        let headers: Vec<(&str, &str)> = auth.map(|auth| ("authorization", auth)).into_iter().collect();
        self.send_with(method, path, &headers, body).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let response = self.respond(method, path, headers, body).await;
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply { status, headers, body, raw }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn get_as(&self, path: &str, auth: &str) -> Reply {
        self.send(Method::GET, path, Some(auth), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, None, Some(body.to_string().into_bytes())).await
    }

    /// Creates a player through the seed's route and returns its id.
    pub async fn register(&self, username: &str, password: &str) -> i64 {
        let reply = self.post("/api/users", json!({"username": username, "password": password})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_i64().unwrap()
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let reply = self.get_as("/api/token/", &basic(username, password)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// A direct connection to the test database, for arranging and inspecting
    /// state with SQL that reads the same on SQLite and PostgreSQL.
    pub async fn db(&self) -> sqlx::AnyPool {
        crate::database::pool(&self.database).await
    }
}
