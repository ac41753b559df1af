//! The caller as an extractor: a handler that needs a player asks for one.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::credentials::{self, Credentials};
use super::token::{ACCESS_PREFIX, API_KEY_PREFIX, LEGACY_PREFIX, REFRESH_PREFIX, TokenHash};
use crate::domain::Scope;
use crate::error::AppError;
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::store::{ApiKeyRecord, PlayerRecord, TokenKind};

/// A player authenticated by a player token (a v1 access token or a seed
/// `/api/token/` token, as Bearer or as the Basic username) or by password.
/// Refresh tokens and API keys are refused: neither stands for a player.
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
            Some(credentials) => Self::from_credentials(state, parts, credentials).await,
        }
    }
}

impl CurrentPlayer {
    async fn from_credentials(state: &AppState, parts: &Parts, credentials: Credentials) -> Result<Self, AppError> {
        match credentials {
            Credentials::Token(token) => {
                let kind = player_token_kind(&token).ok_or_else(|| not_a_player_token(&token))?;
                let owner = state
                    .store
                    .token_owner(&TokenHash::of(&token), kind, state.clock.now())
                    .await?
                    .ok_or_else(invalid_token)?;
                Ok(Self { player: owner.player, session_id: Some(owner.session_id) })
            }
            Credentials::Password { username, password } => {
                let ip = ClientIp::of(parts, state.config.limits.trust_forwarded_for);
                let player = super::verify_basic(state, ip, &username, &password).await?;
                Ok(Self { player, session_id: None })
            }
        }
    }
}

/// Why a token that is no player token is refused: a game server's key or a
/// refresh token sent here by mistake says so, rather than "invalid".
fn not_a_player_token(token: &str) -> AppError {
    if token.starts_with(API_KEY_PREFIX) {
        AppError::unauthorized(
            "an API key does not stand for a player: this route takes a player's access token, or username and password",
        )
    } else if token.starts_with(REFRESH_PREFIX) {
        AppError::unauthorized("a refresh token is not an access token: trade it at /api/v1/auth/refresh for one")
    } else {
        invalid_token()
    }
}

fn invalid_token() -> AppError {
    AppError::unauthorized("the token is invalid or has expired")
}

/// The kind of player token a text claims to be, by its prefix.
fn player_token_kind(token: &str) -> Option<TokenKind> {
    if token.starts_with(ACCESS_PREFIX) {
        Some(TokenKind::Access)
    } else if token.starts_with(LEGACY_PREFIX) {
        Some(TokenKind::Legacy)
    } else {
        None
    }
}

/// Whoever calls a route where credentials are optional. Credentials that
/// are sent must be valid: a bad one is 401, never an anonymous request.
pub enum Caller {
    Anonymous,
    Player(CurrentPlayer),
    Key(ApiKeyRecord),
}

impl Caller {
    /// Whether the caller is an API key holding `scope` (or `admin`).
    pub fn key_allows(&self, scope: Scope) -> bool {
        matches!(self, Self::Key(key) if key.allows(scope))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match credentials::from_headers(&parts.headers)? {
            None => Ok(Self::Anonymous),
            Some(Credentials::Token(token)) if token.starts_with(API_KEY_PREFIX) => live_api_key(state, &token)
                .await?
                .map(Self::Key)
                .ok_or_else(|| AppError::unauthorized("the API key is invalid or revoked")),
            Some(credentials) => Ok(Self::Player(CurrentPlayer::from_credentials(state, parts, credentials).await?)),
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
                let ip = ClientIp::of(parts, state.config.limits.trust_forwarded_for);
                Ok(Self(super::verify_basic(state, ip, &username, &password).await?))
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

    /// A player's valid token is 403, not 401: the caller is known, just not
    /// allowed, and a client that renews its token after a 401 would
    /// otherwise retry for ever. A password is not checked here (an argon2
    /// hash, and a login, for a request that is refused anyway): 401.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = match credentials::from_headers(&parts.headers)? {
            None => return Err(AppError::unauthorized("an API key is required (Authorization: Bearer pbk_…)")),
            Some(Credentials::Token(token)) if token.starts_with(API_KEY_PREFIX) => live_api_key(state, &token)
                .await?
                .ok_or_else(|| AppError::unauthorized("the API key is unknown or revoked"))?,
            Some(Credentials::Password { .. }) => {
                return Err(AppError::unauthorized(
                    "this route takes an API key (Authorization: Bearer pbk_…), not a player's password",
                ));
            }
            Some(player) => {
                CurrentPlayer::from_credentials(state, parts, player).await?;
                return Err(AppError::forbidden(
                    "missing_scope",
                    format!(
                        "this route takes an API key with the {} scope; a player's credentials are not one",
                        S::SCOPE
                    ),
                ));
            }
        };
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
    Ok(state.api_keys.live(state.store.as_ref(), TokenHash::of(token)).await?)
}
