//! The caller as an extractor: a handler that needs a player asks for one.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::credentials::{self, Credentials};
use super::token::{API_KEY_PREFIX, TokenHash};
use crate::domain::Scope;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{ApiKeyRecord, PlayerRecord, TokenKind};

/// A player authenticated by token (Bearer or Basic username) or by password.
pub struct CurrentPlayer {
    pub player: PlayerRecord,
    /// The session the token belongs to; none when a password was sent.
    pub session_id: Option<i64>,
}

impl FromRequestParts<AppState> for CurrentPlayer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match credentials::from_headers(&parts.headers)? {
            None => Err(AppError::unauthorized("credentials are required")),
            Some(Credentials::Token(token)) => {
                let owner = state
                    .store
                    .token_owner(&TokenHash::of(&token), TokenKind::Legacy, state.clock.now())
                    .await?
                    .ok_or_else(|| AppError::unauthorized("the token is invalid or has expired"))?;
                Ok(Self { player: owner.player, session_id: Some(owner.session_id) })
            }
            Some(Credentials::Password { username, password }) => {
                let player = super::verify_login(state, &username, &password).await?;
                Ok(Self { player, session_id: None })
            }
        }
    }
}

/// A player who proved the password just now (Basic `username:password`).
pub struct PasswordLogin(pub PlayerRecord);

impl FromRequestParts<AppState> for PasswordLogin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match credentials::from_headers(&parts.headers)? {
            Some(Credentials::Password { username, password }) => {
                Ok(Self(super::verify_login(state, &username, &password).await?))
            }
            Some(Credentials::Token(_)) => {
                Err(AppError::unauthorized("a new token needs the username and password, not a token"))
            }
            None => Err(AppError::unauthorized("credentials are required")),
        }
    }
}

/// A scope a handler demands of an API key, as a type, so the handler
/// cannot be written without naming it.
pub trait RequiredScope: Send + Sync {
    const SCOPE: Scope;
}

pub struct AwardsWrite;
pub struct PlayersWrite;
pub struct Admin;

impl RequiredScope for AwardsWrite {
    const SCOPE: Scope = Scope::AwardsWrite;
}
impl RequiredScope for PlayersWrite {
    const SCOPE: Scope = Scope::PlayersWrite;
}
impl RequiredScope for Admin {
    const SCOPE: Scope = Scope::Admin;
}

/// A live API key (`Bearer pbk_…`) holding the scope `S`.
pub struct ApiKey<S> {
    pub key: ApiKeyRecord,
    scope: PhantomData<S>,
}

impl<S: RequiredScope> FromRequestParts<AppState> for ApiKey<S> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = match credentials::from_headers(&parts.headers)? {
            Some(Credentials::Token(token)) => live_api_key(state, &token).await?,
            _ => None,
        }
        .ok_or_else(|| AppError::unauthorized("an API key is required (Authorization: Bearer pbk_…)"))?;
        if !key.allows(S::SCOPE) {
            return Err(AppError::forbidden("missing_scope", format!("this API key lacks the {} scope", S::SCOPE)));
        }
        Ok(Self { key, scope: PhantomData })
    }
}

pub async fn live_api_key(state: &AppState, token: &str) -> Result<Option<ApiKeyRecord>, AppError> {
    if !token.starts_with(API_KEY_PREFIX) {
        return Ok(None);
    }
    Ok(state.store.live_api_key(&TokenHash::of(token)).await?)
}
