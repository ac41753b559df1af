//! The caller as an extractor: a handler that needs a player asks for one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::credentials::{self, Credentials};
use super::token::TokenHash;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{PlayerRecord, TokenKind};

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
