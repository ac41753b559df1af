//! v1 sessions: a login starts one with an access and a refresh token; a
//! refresh spends the refresh token and adds a new pair to the session.

use super::token::{self, ACCESS_PREFIX, NewSecret, REFRESH_PREFIX, TokenHash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{NewToken, Rotation, TokenKind};

/// A new token pair; its text is shown to the caller once and kept nowhere.
pub struct IssuedTokens {
    pub access: NewSecret,
    pub refresh: NewSecret,
    /// Seconds the access token lives.
    pub access_seconds: u32,
}

fn new_pair(state: &AppState, now: i64) -> (IssuedTokens, [NewToken; 2]) {
    let access_seconds = state.config.auth.access_seconds;
    let access = token::generate(ACCESS_PREFIX);
    let refresh = token::generate(REFRESH_PREFIX);
    let stored = [
        NewToken { hash: access.hash.clone(), kind: TokenKind::Access, expires_at: now + i64::from(access_seconds) },
        NewToken {
            hash: refresh.hash.clone(),
            kind: TokenKind::Refresh,
            expires_at: now + state.config.refresh_seconds(),
        },
    ];
    (IssuedTokens { access, refresh, access_seconds }, stored)
}

/// Starts a session for a player who has just proved who they are; after
/// a password, `checked_hash` is the stored hash it was checked against.
pub async fn start(state: &AppState, player_id: i64, checked_hash: Option<&str>) -> AppResult<IssuedTokens> {
    let now = state.clock.now();
    let (issued, stored) = new_pair(state, now);
    state.store.create_session(player_id, checked_hash, &stored, now).await?.ok_or_else(changed_meanwhile)?;
    Ok(issued)
}

/// A login whose password was right when checked, but changed (or whose
/// account was deleted) before its session was made.
pub fn changed_meanwhile() -> AppError {
    AppError::unauthorized("the password was changed, or the account deleted, while logging in; log in again")
}

/// Trades a live refresh token for a new pair. A spent one ends its session:
/// either the client or a thief has used it already, and the server cannot
/// tell which.
pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<IssuedTokens> {
    let refused = || AppError::unauthorized("the refresh token is invalid, spent or expired");
    if !refresh_token.starts_with(REFRESH_PREFIX) {
        return Err(refused());
    }
    let now = state.clock.now();
    let (issued, stored) = new_pair(state, now);
    match state.store.rotate_refresh_token(&TokenHash::of(refresh_token), &stored, now).await? {
        Rotation::Rotated { player_id, session_id } => {
            tracing::debug!(player_id, session_id, "session refreshed");
            Ok(issued)
        }
        Rotation::Reused => {
            tracing::warn!("a spent refresh token was presented again; its session has been ended");
            Err(refused())
        }
        Rotation::Unknown => Err(refused()),
    }
}

/// Ends a session at once: its access and refresh tokens stop working.
pub async fn end(state: &AppState, session_id: i64) -> AppResult<()> {
    Ok(state.store.end_session(session_id).await?)
}
