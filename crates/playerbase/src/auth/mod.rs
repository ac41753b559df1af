//! Who is calling: password hashing, tokens, and the extractors that turn
//! an `Authorization` header into a player.

pub mod api_keys;
pub mod credentials;
pub mod extract;
pub mod legacy;
pub mod passwords;
pub mod recent_logins;
pub mod sessions;
pub mod token;

pub use extract::{ApiKey, Caller, CurrentPlayer, PasswordLogin};
pub use passwords::{Passwords, Verdict};

use std::net::IpAddr;

use crate::domain::Username;
use crate::error::{AppError, AppResult};
use crate::limits::{self, ClientIp};
use crate::state::AppState;
use crate::store::PlayerRecord;

/// Checks a username and password. An unknown user, a player without a
/// password and a wrong password cost the same hash and get the same 401.
/// A legacy hash (imported from the Flask database) that matches is
/// replaced by an argon2id hash of the password, once. Attempts are rate
/// limited by address and by account (`[limits]`) before any hash is computed.
pub async fn verify_login(state: &AppState, ip: ClientIp, username: &str, password: &str) -> AppResult<PlayerRecord> {
    let now = state.clock.now();
    password_attempt(state, ip, username, now).await?;
    let player = player_named(state, username).await?;
    check_counted(state, ip, username, password, player, now).await
}

/// The player `username` names, if any (a name no player can have names none).
async fn player_named(state: &AppState, username: &str) -> AppResult<Option<PlayerRecord>> {
    match Username::parse(username) {
        Ok(name) => Ok(state.store.player_by_username(&name).await?),
        Err(_) => Ok(None),
    }
}

/// Checks the password of `player`, read for `username`, after the attempt
/// was counted, and keeps what the limits learn from the outcome.
async fn check_counted(
    state: &AppState,
    ip: ClientIp,
    username: &str,
    password: &str,
    player: Option<PlayerRecord>,
    now: i64,
) -> AppResult<PlayerRecord> {
    let result = check_password(state, player, password).await;
    match &result {
        Ok(player) => {
            if let Some((network, until)) = state.limits.login_succeeded(ip.0, username, now) {
                remember_address(state, player.id, network, until).await;
            }
        }
        Err(AppError::Unauthorized(_)) => state.limits.login_failed(username, now),
        Err(_) => {}
    }
    result
}

/// [`verify_login`] for Basic credentials sent with a request: one that
/// verified within the last minutes ([`recent_logins`]) is accepted again
/// without a hash and without counting as an attempt, so a client sending
/// its password with every request (the Flask API's way) is neither slow
/// nor limited. A login (v1, the website) or an account change always checks in full.
pub async fn verify_basic(state: &AppState, ip: ClientIp, username: &str, password: &str) -> AppResult<PlayerRecord> {
    let now = state.clock.now();
    let key = Username::parse(username).ok().map(|name| name.key());
    let remembered = |player: &PlayerRecord| {
        let (Some(key), Some(hash)) = (&key, &player.password_hash) else { return false };
        state.recent_logins.knows(key, password, hash, now)
    };
    // One read of the player serves both the remembered check and the full one.
    let player = match player_named(state, username).await? {
        Some(found) if remembered(&found) => return Ok(found),
        other => other,
    };
    password_attempt(state, ip, username, now).await?;
    let player = check_counted(state, ip, username, password, player, now).await?;
    if let (Some(key), Some(hash)) = (&key, &player.password_hash) {
        state.recent_logins.remember(key, password, hash, now);
    }
    Ok(player)
}

/// Counts an attempt at `username`'s password from `ip`, or refuses it
/// (429): the address's allowance, and the account's back-off after failed
/// passwords, which does not hold back an address the owner logged in from
/// lately. That the store decides: it is shared by every instance and a
/// new password clears it. It is asked only while the back-off holds.
pub async fn password_attempt(state: &AppState, ip: ClientIp, username: &str, now: i64) -> AppResult<()> {
    let owner_address = state.limits.login_held_back(username, now) && known_address(state, ip, username, now).await;
    Ok(state.limits.login_attempt(ip.0, username, owner_address, now)?)
}

async fn known_address(state: &AppState, ip: ClientIp, username: &str, now: i64) -> bool {
    let Ok(name) = Username::parse(username) else { return false };
    let network = limits::network_of(ip.0).to_string();
    match state.store.known_address(&name.key(), &network, now).await {
        Ok(known) => known.is_some(),
        Err(err) => {
            tracing::warn!(error = %err, "could not read the account's known addresses; the back-off holds");
            false
        }
    }
}

/// Failing to keep it costs the owner only the exemption after a restart: logged, and the login goes on.
async fn remember_address(state: &AppState, player_id: i64, network: IpAddr, until: i64) {
    if let Err(err) = state.store.remember_address(player_id, &network.to_string(), until).await {
        tracing::warn!(player_id, error = %err, "could not keep the address the player logged in from");
    }
}

async fn check_password(state: &AppState, player: Option<PlayerRecord>, password: &str) -> AppResult<PlayerRecord> {
    let stored_hash = player.as_ref().and_then(|p| p.password_hash.clone());
    let verdict = state.passwords.check(password.to_owned(), stored_hash.clone()).await?;
    match (verdict, player, stored_hash) {
        (Verdict::Current, Some(player), _) => Ok(player),
        (Verdict::Legacy, Some(mut player), Some(legacy_hash)) => {
            match rehash(state, player.id, password, &legacy_hash).await {
                Rehash::Replaced(new_hash) => player.password_hash = Some(new_hash),
                Rehash::Kept => {}
                // Another login replaced it first (the same password, hashed anew), or a new
                // password came: what counts is the hash there now, which sessions are checked against.
                Rehash::ChangedMeanwhile => {
                    let now_stored = state.store.player_by_id(player.id).await?;
                    let hash = now_stored.as_ref().and_then(|p| p.password_hash.clone());
                    return match (state.passwords.check(password.to_owned(), hash).await?, now_stored) {
                        (Verdict::Current, Some(player)) => Ok(player),
                        _ => Err(wrong_login()),
                    };
                }
            }
            Ok(player)
        }
        _ => Err(wrong_login()),
    }
}

/// One answer for an unknown name and a wrong password alike.
fn wrong_login() -> AppError {
    AppError::unauthorized("wrong username or password")
}

enum Rehash {
    Replaced(String),
    /// Not replaced for a failure (logged): the legacy hash still works, and the next login tries again.
    Kept,
    /// The stored hash is no longer the legacy one that was checked.
    ChangedMeanwhile,
}

/// Replaces a legacy hash by argon2id.
async fn rehash(state: &AppState, player_id: i64, password: &str, legacy_hash: &str) -> Rehash {
    let new_hash = match state.passwords.hash(password.to_owned()).await {
        Ok(hash) => hash,
        Err(err) => {
            tracing::warn!(player_id, error = %err, "could not hash a password to replace a legacy hash");
            return Rehash::Kept;
        }
    };
    match state.store.replace_password_hash(player_id, legacy_hash, &new_hash).await {
        Ok(true) => {
            tracing::info!(player_id, "legacy password hash replaced by argon2id");
            Rehash::Replaced(new_hash)
        }
        Ok(false) => Rehash::ChangedMeanwhile,
        Err(err) => {
            tracing::warn!(player_id, error = %err, "could not store the argon2id hash replacing a legacy hash");
            Rehash::Kept
        }
    }
}
