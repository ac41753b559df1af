//! Who is calling: password hashing, tokens, and the extractors that turn
//! an `Authorization` header into a player.

pub mod api_keys;
pub mod credentials;
pub mod extract;
pub mod legacy;
pub mod passwords;
pub mod sessions;
pub mod token;

pub use extract::{ApiKey, Caller, CurrentPlayer, PasswordLogin};
pub use passwords::{Passwords, Verdict};

use crate::domain::Username;
use crate::error::{AppError, AppResult};
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::store::PlayerRecord;

/// Checks a username and password. An unknown user, a player without a
/// password and a wrong password cost the same hash and get the same 401.
/// A legacy hash (imported from the Flask database) that matches is
/// replaced by an argon2id hash of the password, once. Attempts are rate
/// limited by address and by account (`[limits]`) before any hash is computed.
pub async fn verify_login(state: &AppState, ip: ClientIp, username: &str, password: &str) -> AppResult<PlayerRecord> {
    let now = state.clock.now();
    state.limits.login_attempt(ip.0, username, now)?;
    let result = check_password(state, username, password).await;
    match &result {
        Ok(_) => state.limits.login_succeeded(ip.0, username, now),
        Err(AppError::Unauthorized(_)) => state.limits.login_failed(username, now),
        Err(_) => {}
    }
    result
}

async fn check_password(state: &AppState, username: &str, password: &str) -> AppResult<PlayerRecord> {
    let player = match Username::parse(username) {
        Ok(name) => state.store.player_by_username(&name).await?,
        Err(_) => None,
    };
    let stored_hash = player.as_ref().and_then(|p| p.password_hash.clone());
    let verdict = state.passwords.check(password.to_owned(), stored_hash.clone()).await?;
    match (verdict, player, stored_hash) {
        (Verdict::Current, Some(player), _) => Ok(player),
        (Verdict::Legacy, Some(mut player), Some(legacy_hash)) => {
            if let Some(new_hash) = rehash(state, player.id, password, &legacy_hash).await {
                player.password_hash = Some(new_hash);
            }
            Ok(player)
        }
        _ => Err(AppError::unauthorized("wrong username or password")),
    }
}

/// Replaces a legacy hash by argon2id. A failure is logged and the login
/// goes on: the legacy hash still works, and the next login tries again.
async fn rehash(state: &AppState, player_id: i64, password: &str, legacy_hash: &str) -> Option<String> {
    let new_hash = match state.passwords.hash(password.to_owned()).await {
        Ok(hash) => hash,
        Err(err) => {
            tracing::warn!(player_id, error = %err, "could not hash a password to replace a legacy hash");
            return None;
        }
    };
    match state.store.replace_password_hash(player_id, legacy_hash, &new_hash).await {
        Ok(true) => {
            tracing::info!(player_id, "legacy password hash replaced by argon2id");
            Some(new_hash)
        }
        // Changed meanwhile (another login replaced it, or a new password): keep what is there.
        Ok(false) => None,
        Err(err) => {
            tracing::warn!(player_id, error = %err, "could not store the argon2id hash replacing a legacy hash");
            None
        }
    }
}
