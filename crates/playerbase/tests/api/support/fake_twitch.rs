//! A fake of Twitch's OAuth server and Helix, on 127.0.0.1 in the test's
//! runtime: `/oauth2/token` (authorization code and client credentials),
//! `/oauth2/validate`, `/helix/eventsub/subscriptions`, `/helix/chat/messages`.
//! It answers as Twitch does (shapes and statuses from TWITCH.md and Twitch's
//! reference), records every request, and can be told to fail.
//!
//! The consent screen at `/authorize` is a browser's business: a test plays
//! the user by calling [`FakeTwitch::consent`], which mints the code Twitch
//! would have put in the redirect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use playerbase::config::{Secret, TwitchConfig};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "fakeclientid0123456789";
pub const CLIENT_SECRET: &str = "fakeclientsecret0123456789";
pub const EVENTSUB_SECRET: &str = "eventsub-secret-0123456789";
pub const BROADCASTER_ID: &str = "44429626";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    /// The form fields (OAuth) or the JSON body (Helix), as JSON.
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[derive(Clone)]
struct TwitchUser {
    user_id: String,
    login: String,
}

#[derive(Default)]
struct Fake {
    requests: Vec<Recorded>,
    /// Authorization codes waiting to be exchanged: code → (user, redirect_uri).
    codes: HashMap<String, TwitchUser>,
    user_tokens: HashMap<String, TwitchUser>,
    /// App tokens Helix accepts.
    app_tokens: Vec<String>,
    issued: u64,
    /// Seconds app tokens live (Twitch: about 60 days).
    app_token_seconds: u64,
    /// `/validate` answers tokens with this client id instead of ours.
    validate_client_id: Option<String>,
    /// Helix refuses every app token, even fresh ones.
    refuse_app_tokens: bool,
    fail_token_exchange: bool,
    fail_validate: bool,
    /// `(type, condition)` of every subscription created.
    subscriptions: Vec<Value>,
    /// Chat messages are refused with this drop reason code.
    drop_chat: Option<String>,
}

/// The fake; dropping it stops the server.
pub struct FakeTwitch {
    pub base: String,
    state: Arc<Mutex<Fake>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTwitch {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = State<Arc<Mutex<Fake>>>;

impl FakeTwitch {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(Fake { app_token_seconds: 5_000_000, ..Fake::default() }));
        let app = Router::new()
            .route("/oauth2/token", post(token))
            .route("/oauth2/validate", get(validate))
            .route("/helix/eventsub/subscriptions", post(create_subscription))
            .route("/helix/chat/messages", post(send_chat_message))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, state, server }
    }

    /// A `[twitch]` section pointing at this fake, with credentials it accepts.
    pub fn config(&self) -> TwitchConfig {
        TwitchConfig {
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            eventsub_secret: Secret::new(EVENTSUB_SECRET),
            broadcaster_user_id: BROADCASTER_ID.into(),
            oauth_url: format!("{}/oauth2", self.base),
            helix_url: format!("{}/helix", self.base),
            ..TwitchConfig::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, Fake> {
        self.state.lock().unwrap()
    }

    /// The user consents on Twitch's page: returns the code Twitch puts in the redirect.
    pub fn consent(&self, user_id: &str, login: &str) -> String {
        let mut fake = self.lock();
        fake.issued += 1;
        let code = format!("code{}{}", fake.issued, uuid::Uuid::new_v4().simple());
        fake.codes.insert(code.clone(), TwitchUser { user_id: user_id.into(), login: login.into() });
        code
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests to `path` (e.g. `/oauth2/token`), in order.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// How many app access tokens were handed out.
    pub fn app_tokens_issued(&self) -> usize {
        self.requests_to("/oauth2/token").iter().filter(|r| r.body["grant_type"] == "client_credentials").count()
    }

    /// Helix stops accepting every app token handed out so far, as when Twitch revokes them.
    pub fn revoke_app_tokens(&self) {
        self.lock().app_tokens.clear();
    }

    /// Helix refuses every app token from now on, fresh ones too.
    pub fn refuse_every_app_token(&self) {
        self.lock().refuse_app_tokens = true;
    }

    pub fn set_app_token_seconds(&self, seconds: u64) {
        self.lock().app_token_seconds = seconds;
    }

    pub fn fail_token_exchange(&self) {
        self.lock().fail_token_exchange = true;
    }

    pub fn fail_validate(&self) {
        self.lock().fail_validate = true;
    }

    /// `/validate` says tokens belong to another application.
    pub fn validate_as_client(&self, client_id: &str) {
        self.lock().validate_client_id = Some(client_id.into());
    }

    pub fn drop_chat_messages(&self, code: &str) {
        self.lock().drop_chat = Some(code.into());
    }

    /// Every subscription created, as Helix stored it: `{type, version, condition, transport}`.
    pub fn subscriptions(&self) -> Vec<Value> {
        self.lock().subscriptions.clone()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": status.canonical_reason(), "status": status.as_u16(), "message": message});
    (status, Json(body)).into_response()
}

fn record(fake: &mut Fake, method: &str, path: &str, headers: &HeaderMap, body: Value) {
    fake.requests.push(Recorded { method: method.into(), path: path.into(), headers: headers.clone(), body });
}

async fn token(State(state): Shared, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut fake = state.lock().unwrap();
    record(&mut fake, "POST", "/oauth2/token", &headers, json!(form));
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return error(StatusCode::FORBIDDEN, "invalid client secret");
    }
    fake.issued += 1;
    match field("grant_type") {
        "client_credentials" => {
            let token = format!("apptoken{}", fake.issued);
            fake.app_tokens.push(token.clone());
            Json(json!({"access_token": token, "expires_in": fake.app_token_seconds, "token_type": "bearer"}))
                .into_response()
        }
        "authorization_code" => {
            if fake.fail_token_exchange {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "something broke");
            }
            let Some(user) = fake.codes.remove(field("code")) else {
                return error(StatusCode::BAD_REQUEST, "Invalid authorization code");
            };
            if field("redirect_uri").is_empty() {
                return error(StatusCode::BAD_REQUEST, "Parameter redirect_uri does not match registered URI");
            }
            let token = format!("usertoken{}", fake.issued);
            fake.user_tokens.insert(token.clone(), user);
            Json(json!({"access_token": token, "refresh_token": format!("userrefresh{}", fake.issued),
                "expires_in": 14_400, "scope": [], "token_type": "bearer"}))
            .into_response()
        }
        _ => error(StatusCode::BAD_REQUEST, "invalid grant type"),
    }
}

async fn validate(State(state): Shared, headers: HeaderMap) -> Response {
    let mut fake = state.lock().unwrap();
    record(&mut fake, "GET", "/oauth2/validate", &headers, Value::Null);
    let presented = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let user = presented.strip_prefix("OAuth ").and_then(|token| fake.user_tokens.get(token)).cloned();
    match user {
        Some(user) if !fake.fail_validate => {
            let client_id = fake.validate_client_id.clone().unwrap_or_else(|| CLIENT_ID.into());
            Json(json!({"client_id": client_id, "login": user.login, "scopes": [], "user_id": user.user_id,
                "expires_in": 14_000}))
            .into_response()
        }
        _ => error(StatusCode::UNAUTHORIZED, "invalid access token"),
    }
}

/// Helix's checks: the Client-Id is ours and the Bearer token a live app token.
fn helix_refusal(fake: &Fake, headers: &HeaderMap) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if header("client-id") != CLIENT_ID {
        return Some(error(StatusCode::UNAUTHORIZED, "Client ID and OAuth token do not match"));
    }
    let token = header("authorization");
    if fake.refuse_app_tokens
        || !token.strip_prefix("Bearer ").is_some_and(|token| fake.app_tokens.iter().any(|t| t == token))
    {
        return Some(error(StatusCode::UNAUTHORIZED, "Invalid OAuth token"));
    }
    None
}

async fn create_subscription(State(state): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut fake = state.lock().unwrap();
    record(&mut fake, "POST", "/helix/eventsub/subscriptions", &headers, body.clone());
    if let Some(refusal) = helix_refusal(&fake, &headers) {
        return refusal;
    }
    let secret_len = body["transport"]["secret"].as_str().map_or(0, str::len);
    if body["transport"]["method"] != "webhook" || !(10..=100).contains(&secret_len) {
        return error(StatusCode::BAD_REQUEST, "invalid transport");
    }
    let same = |held: &&Value| held["type"] == body["type"] && held["condition"] == body["condition"];
    if fake.subscriptions.iter().any(|held| same(&held)) {
        return error(StatusCode::CONFLICT, "subscription already exists");
    }
    fake.subscriptions.push(body.clone());
    let id = uuid::Uuid::new_v4().to_string();
    let created = json!({"id": id, "status": "webhook_callback_verification_pending", "type": body["type"],
        "version": body["version"], "condition": body["condition"], "created_at": "2026-12-04T23:00:00Z",
        "transport": {"method": "webhook", "callback": body["transport"]["callback"]}, "cost": 1});
    (StatusCode::ACCEPTED, Json(json!({"data": [created], "total": 1, "total_cost": 1, "max_total_cost": 10000})))
        .into_response()
}

async fn send_chat_message(State(state): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut fake = state.lock().unwrap();
    record(&mut fake, "POST", "/helix/chat/messages", &headers, body.clone());
    if let Some(refusal) = helix_refusal(&fake, &headers) {
        return refusal;
    }
    if [&body["broadcaster_id"], &body["sender_id"], &body["message"]].iter().any(|v| !v.is_string()) {
        return error(StatusCode::BAD_REQUEST, "Missing required parameter");
    }
    let sent = match &fake.drop_chat {
        Some(code) => json!({"message_id": "", "is_sent": false,
            "drop_reason": {"code": code, "message": "Your message is being checked by mods and has not been sent."}}),
        None => json!({"message_id": uuid::Uuid::new_v4().to_string(), "is_sent": true, "drop_reason": null}),
    };
    Json(json!({"data": [sent]})).into_response()
}
