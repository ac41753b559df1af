//! Who is calling: password hashing, tokens, and the extractors that turn
//! an `Authorization` header into a player.

pub mod credentials;
pub mod extract;
pub mod passwords;
pub mod sessions;
pub mod token;

pub use extract::{ApiKey, Caller, CurrentPlayer, PasswordLogin};
pub use passwords::Passwords;

use crate::domain::Username;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::PlayerRecord;

/// Checks a username and password. An unknown user, a player without a
/// password and a wrong password cost the same hash and get the same 401.
pub async fn verify_login(state: &AppState, username: &str, password: &str) -> AppResult<PlayerRecord> {
    let player = match Username::parse(username) {
        Ok(name) => state.store.player_by_username(&name).await?,
        Err(_) => None,
    };
    let stored_hash = player.as_ref().and_then(|p| p.password_hash.clone());
    if state.passwords.verify(password.to_owned(), stored_hash).await? {
        if let Some(player) = player {
            return Ok(player);
        }
    }
    Err(AppError::unauthorized("wrong username or password"))
}
