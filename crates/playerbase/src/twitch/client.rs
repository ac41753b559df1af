//! Talking to Twitch: its OAuth server (`twitch.oauth_url`) and Helix
//! (`twitch.helix_url`). Tests point both at a local fake.
//!
//! Tokens and secrets never reach a log line or an error message: errors
//! carry Twitch's status and its own short message, nothing we sent.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{Secret, TwitchConfig};

/// A call that hangs would hold a login or a chat answer hostage; Twitch
/// answers in well under a second when it is well.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The app token is replaced this long before Twitch says it expires, so a
/// request never leaves with a token that dies on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Twitch's messages are short; anything longer is not worth carrying.
const MAX_MESSAGE_LEN: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum TwitchError {
    /// A `[twitch]` key this call needs is empty.
    #[error("twitch.{0} is not configured")]
    NotConfigured(&'static str),
    /// No answer: connection refused, timeout, TLS failure.
    #[error("could not reach Twitch: {0}")]
    Unreachable(String),
    /// Twitch answered with an error status.
    #[error("Twitch refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// Twitch answered 2xx with a body we cannot read.
    #[error("Twitch's answer was not understood: {0}")]
    Malformed(String),
    /// A user token Twitch issued for another application.
    #[error("the Twitch token was issued to another application")]
    WrongClient,
    /// Helix accepted a chat message but did not post it (AutoMod, rate limits, …).
    #[error("Twitch did not post the chat message ({code}): {message}")]
    MessageDropped { code: String, message: String },
}

impl TwitchError {
    /// Whether Twitch itself said no (as opposed to being unreachable or odd).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A user's token from the authorization code flow.
pub struct UserToken {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<i64>,
    pub scope: Vec<String>,
}

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserToken").field("expires_in", &self.expires_in).field("scope", &self.scope).finish()
    }
}

/// Who a user token belongs to, as `/validate` says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwitchUser {
    pub user_id: String,
    pub login: String,
}

/// What creating an EventSub subscription led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionOutcome {
    /// Created; Twitch now sends the callback its challenge.
    Created { id: String, status: String },
    /// Twitch already holds the same subscription (409): nothing to do.
    AlreadyExists,
}

/// A chat message Helix posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub message_id: String,
}

struct AppToken {
    secret: Secret,
    /// When to stop using it: Twitch's expiry less [`EXPIRY_MARGIN`].
    renew_at: Instant,
}

struct Inner {
    http: reqwest::Client,
    client_id: String,
    client_secret: Secret,
    oauth_url: String,
    helix_url: String,
    /// The cached app access token. The lock is held across a fetch, so
    /// callers arriving meanwhile wait for that one fetch and share its token.
    app_token: Mutex<Option<AppToken>>,
}

/// Twitch's OAuth server and Helix. Cheap to clone; clones share the app token.
#[derive(Clone)]
pub struct TwitchClient(Arc<Inner>);

impl std::fmt::Debug for TwitchClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwitchClient")
            .field("oauth_url", &self.0.oauth_url)
            .field("helix_url", &self.0.helix_url)
            .finish()
    }
}

impl TwitchClient {
    pub fn new(config: &TwitchConfig) -> Result<Self, TwitchError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // Twitch never redirects these calls; following one could send a token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("playerbase/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| TwitchError::Unreachable(err.without_url().to_string()))?;
        Ok(Self(Arc::new(Inner {
            http,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            oauth_url: config.oauth_url.trim_end_matches('/').to_owned(),
            helix_url: config.helix_url.trim_end_matches('/').to_owned(),
            app_token: Mutex::new(None),
        })))
    }

    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }

    pub fn oauth_url(&self) -> &str {
        &self.0.oauth_url
    }

    fn credentials(&self) -> Result<(&str, &str), TwitchError> {
        if self.0.client_id.is_empty() {
            return Err(TwitchError::NotConfigured("client_id"));
        }
        if self.0.client_secret.is_empty() {
            return Err(TwitchError::NotConfigured("client_secret"));
        }
        Ok((&self.0.client_id, self.0.client_secret.expose()))
    }

    /// Trades an authorization code (from the redirect after the user
    /// consented) for the user's token. `redirect_uri` must be the one the
    /// authorize URL named.
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<UserToken, TwitchError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            refresh_token: Option<String>,
            expires_in: Option<i64>,
            #[serde(default)]
            scope: Vec<String>,
        }
        let (client_id, client_secret) = self.credentials()?;
        let form = [
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ];
        let request = self.0.http.post(format!("{}/token", self.0.oauth_url)).form(&form);
        let answer: Answer = read_json(send(request).await?).await?;
        Ok(UserToken {
            access_token: Secret::new(answer.access_token),
            refresh_token: answer.refresh_token.map(Secret::new),
            expires_in: answer.expires_in,
            scope: answer.scope,
        })
    }

    /// Who a user token belongs to. Refuses a token issued to another application.
    pub async fn validate(&self, user_token: &Secret) -> Result<TwitchUser, TwitchError> {
        #[derive(Deserialize)]
        struct Answer {
            client_id: String,
            user_id: String,
            login: String,
        }
        let request = self
            .0
            .http
            .get(format!("{}/validate", self.0.oauth_url))
            .header(reqwest::header::AUTHORIZATION, format!("OAuth {}", user_token.expose()));
        let answer: Answer = read_json(send(request).await?).await?;
        if !self.0.client_id.is_empty() && answer.client_id != self.0.client_id {
            return Err(TwitchError::WrongClient);
        }
        Ok(TwitchUser { user_id: answer.user_id, login: answer.login })
    }

    /// The app access token: cached until shortly before it expires.
    pub async fn app_token(&self) -> Result<Secret, TwitchError> {
        let mut cached = self.0.app_token.lock().await;
        if let Some(token) = cached.as_ref().filter(|token| Instant::now() < token.renew_at) {
            return Ok(token.secret.clone());
        }
        let fresh = self.fetch_app_token().await?;
        let secret = fresh.secret.clone();
        *cached = Some(fresh);
        Ok(secret)
    }

    /// Forgets the app token if it still is `rejected`: Helix said 401 to
    /// it. A token another caller has renewed meanwhile is kept.
    async fn forget_app_token(&self, rejected: &Secret) {
        let mut cached = self.0.app_token.lock().await;
        if cached.as_ref().is_some_and(|token| &token.secret == rejected) {
            *cached = None;
        }
    }

    async fn fetch_app_token(&self) -> Result<AppToken, TwitchError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: u64,
        }
        let (client_id, client_secret) = self.credentials()?;
        let form = [("client_id", client_id), ("client_secret", client_secret), ("grant_type", "client_credentials")];
        let request = self.0.http.post(format!("{}/token", self.0.oauth_url)).form(&form);
        let answer: Answer = read_json(send(request).await?).await?;
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(EXPIRY_MARGIN);
        tracing::debug!(expires_in = answer.expires_in, "new Twitch app access token");
        Ok(AppToken { secret: Secret::new(answer.access_token), renew_at: Instant::now() + lifetime })
    }

    /// A Helix call with the app token; on 401 the token is renewed and the
    /// call made once more (Twitch may revoke app tokens before they expire).
    async fn helix_post(&self, path: &str, body: &Value) -> Result<Response, TwitchError> {
        let mut retried = false;
        loop {
            let token = self.app_token().await?;
            let request = self
                .0
                .http
                .post(format!("{}{path}", self.0.helix_url))
                .header("Client-Id", &self.0.client_id)
                .bearer_auth(token.expose())
                .json(body);
            let response = request.send().await.map_err(unreachable)?;
            if response.status() == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(path, "Helix refused the app access token; fetching a new one");
                self.forget_app_token(&token).await;
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// Creates a webhook EventSub subscription. A subscription Twitch
    /// already holds is [`SubscriptionOutcome::AlreadyExists`], not an error.
    pub async fn create_eventsub_subscription(
        &self,
        kind: &str,
        version: &str,
        condition: &Value,
        callback: &str,
        secret: &Secret,
    ) -> Result<SubscriptionOutcome, TwitchError> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
            status: String,
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Vec<Created>,
        }
        let body = json!({
            "type": kind,
            "version": version,
            "condition": condition,
            "transport": {"method": "webhook", "callback": callback, "secret": secret.expose()},
        });
        let response = self.helix_post("/eventsub/subscriptions", &body).await?;
        if response.status() == StatusCode::CONFLICT {
            return Ok(SubscriptionOutcome::AlreadyExists);
        }
        let answer: Answer = read_json(check(response).await?).await?;
        let created = answer.data.into_iter().next().ok_or_else(|| malformed("no subscription in `data`"))?;
        Ok(SubscriptionOutcome::Created { id: created.id, status: created.status })
    }

    /// Posts `message` in the broadcaster's chat as `sender_id` (the bot),
    /// with the app token: the bot must have granted `user:bot`, and the
    /// broadcaster `channel:bot` (or made the bot a moderator).
    pub async fn send_chat_message(
        &self,
        broadcaster_id: &str,
        sender_id: &str,
        message: &str,
    ) -> Result<SentMessage, TwitchError> {
        #[derive(Deserialize)]
        struct DropReason {
            code: String,
            message: String,
        }
        #[derive(Deserialize)]
        struct Sent {
            message_id: String,
            is_sent: bool,
            drop_reason: Option<DropReason>,
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Vec<Sent>,
        }
        let body = json!({"broadcaster_id": broadcaster_id, "sender_id": sender_id, "message": message});
        let response = self.helix_post("/chat/messages", &body).await?;
        let answer: Answer = read_json(check(response).await?).await?;
        let sent = answer.data.into_iter().next().ok_or_else(|| malformed("no message in `data`"))?;
        if !sent.is_sent {
            let reason = sent.drop_reason.unwrap_or(DropReason { code: "unknown".into(), message: String::new() });
            return Err(TwitchError::MessageDropped { code: reason.code, message: short(&reason.message) });
        }
        Ok(SentMessage { message_id: sent.message_id })
    }
}

fn unreachable(err: reqwest::Error) -> TwitchError {
    // Without the URL: ours hold nothing secret, but a habit of leaving it out costs nothing.
    TwitchError::Unreachable(err.without_url().to_string())
}

fn malformed(why: impl std::fmt::Display) -> TwitchError {
    TwitchError::Malformed(short(&why.to_string()))
}

fn short(text: &str) -> String {
    text.chars().take(MAX_MESSAGE_LEN).collect()
}

async fn send(request: RequestBuilder) -> Result<Response, TwitchError> {
    check(request.send().await.map_err(unreachable)?).await
}

/// The response if its status is 2xx; else Twitch's own message, as
/// `{"status", "message"}` (OAuth) or `{"error", "status", "message"}` (Helix).
async fn check(response: Response) -> Result<Response, TwitchError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|value| value.get("message").and_then(Value::as_str).map(short))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Err(TwitchError::Rejected { status: status.as_u16(), message })
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, TwitchError> {
    let bytes = response.bytes().await.map_err(unreachable)?;
    serde_json::from_slice(&bytes).map_err(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_holds_no_token() {
        let token = UserToken {
            access_token: Secret::new("user-secret-token"),
            refresh_token: Some(Secret::new("refresh-secret")),
            expires_in: Some(3600),
            scope: vec![],
        };
        let text = format!("{token:?}");
        assert!(!text.contains("secret"), "{text}");
        let config = TwitchConfig { client_secret: Secret::new("hunter2hunter2"), ..TwitchConfig::default() };
        let client = TwitchClient::new(&config).unwrap();
        assert!(!format!("{client:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn calls_needing_credentials_say_which_key_is_missing() {
        let client = TwitchClient::new(&TwitchConfig::default()).unwrap();
        let err = client.app_token().await.unwrap_err();
        assert!(matches!(err, TwitchError::NotConfigured("client_id")), "{err}");
        let config = TwitchConfig { client_id: "abc".into(), ..TwitchConfig::default() };
        let err = TwitchClient::new(&config).unwrap().exchange_code("code", "http://x").await.unwrap_err();
        assert!(matches!(err, TwitchError::NotConfigured("client_secret")), "{err}");
    }
}
