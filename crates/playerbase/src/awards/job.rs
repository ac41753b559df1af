//! What a caller asks the award writer to do, and what it answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::accounts::viewers::Viewer;
use crate::store::awards::{CooldownKey, IdempotencyKey};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PlayerRef {
    Id(i64),
    Twitch(String),
}

#[derive(Debug, Clone)]
pub struct Award {
    pub player: PlayerRef,
    pub stat: String,
    pub amount: i64,
}

/// The shape of a successful answer.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// `{"player_id", "stats": {every stat after}}`.
    PlayerStats(i64),
    /// `{"applied": N}`.
    Applied,
}

/// An `Idempotency-Key` with the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: IdempotencyKey,
    /// What the request asks for (`http/v1/claims.rs`); stored with its answer.
    pub request_hash: Vec<u8>,
    /// SHA-256 of the route and the body's bytes: how servers before ce30929
    /// stored requests. An answer they stored is kept 48 hours, and a retry
    /// of it is still the same request. Drop it once no such answer is left.
    pub body_hash: Vec<u8>,
}

impl Claim {
    /// Whether `stored`, the hash kept with a first answer, is this request's.
    pub fn is_of(&self, stored: &[u8]) -> bool {
        stored == self.request_hash || stored == self.body_hash
    }
}

/// One request's awards: applied together or not at all.
#[derive(Debug, Clone)]
pub struct AwardJob {
    pub awards: Vec<Award>,
    pub answer: Answer,
    /// `api:KEYNAME`, `twitch:EVENT_TYPE`, `import`, `admin`.
    pub source: String,
    pub reason: Option<String>,
    pub claim: Option<Claim>,
    /// Set when the job applies an EventSub message.
    pub twitch: Option<FromTwitch>,
}

/// What ties a job to an EventSub message. Like a claim, it is checked in
/// the writer's transaction: the message is marked applied in the same
/// transaction as its awards, so it is applied once even across a crash
/// or several instances.
#[derive(Debug, Clone)]
pub struct FromTwitch {
    pub message_id: String,
    /// The viewers the message names: made players (or their logins kept
    /// current) in the same transaction, before the awards.
    pub viewers: Vec<Viewer>,
    /// Per award, by index: the cooldown it is subject to, if any.
    pub cooldowns: Vec<Option<Cooldown>>,
}

/// An award allowed only if the last one under `key` is `seconds` older than `at`.
#[derive(Debug, Clone)]
pub struct Cooldown {
    pub key: CooldownKey,
    /// The message's time (Twitch's timestamp, unix milliseconds), so a retry decides the same.
    pub at_ms: i64,
    pub seconds: i64,
}

/// An answer as it goes to the caller and, for idempotent retries, to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status: status.as_u16(), body: json!({"error": {"code": code, "message": message.into()}}) }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.body)).into_response()
    }
}
