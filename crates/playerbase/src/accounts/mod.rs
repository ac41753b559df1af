//! Account operations behind every route that creates, changes or deletes
//! a player: the seed's routes, v1, and later the website.

pub mod input;
pub mod twitch;
pub mod viewers;

use std::net::IpAddr;

use crate::awards::feed::Announcement;
use crate::domain::{Email, TwitchUserId, Username, periods};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{AccountChange, BoardValue, NewPlayer, PlayerRecord, StoreError, StoreResult, UniqueField};

/// A request for a new player, as received: checked by [`create_player`].
pub struct SignUp {
    pub username: String,
    /// None only for players created by an API key (who may log in through Twitch later).
    pub password: Option<String>,
    pub email: Option<String>,
    pub twitch_user_id: Option<String>,
}

/// A sign-up whose input passed the checks that cost no hash.
pub struct CheckedSignUp {
    username: Username,
    email: Option<Email>,
    password: Option<String>,
    twitch_user_id: Option<TwitchUserId>,
}

/// Checks the input, hashes the password and stores the player. Who may
/// sign up with what is the caller's decision, made before this.
pub async fn create_player(state: &AppState, sign_up: SignUp) -> AppResult<PlayerRecord> {
    let checked = check_sign_up(state, sign_up).await?;
    store_sign_up(state, checked).await
}

/// [`create_player`] for an anonymous caller at `ip`, counted against
/// `[limits] register_per_ip` once its input has passed the checks that
/// cost no hash: bad input and a taken username cost the address nothing,
/// so a player trying names is not locked out by them. A taken email is
/// found only by the insert, after the hash, and counts, so that emails,
/// which are private, cannot be probed without limit.
pub async fn sign_up_from(state: &AppState, ip: IpAddr, sign_up: SignUp) -> AppResult<PlayerRecord> {
    let checked = check_sign_up(state, sign_up).await?;
    state.limits.sign_up(ip, state.clock.now())?;
    store_sign_up(state, checked).await
}

async fn check_sign_up(state: &AppState, sign_up: SignUp) -> AppResult<CheckedSignUp> {
    let username = input::parse_username(&sign_up.username)?;
    let email = input::parse_optional_email(sign_up.email.as_deref())?;
    if let Some(password) = &sign_up.password {
        input::check_password(state, password)?;
    }
    let twitch_user_id = input::parse_optional_twitch_user_id(sign_up.twitch_user_id.as_deref())?;
    // Refuse a taken name before spending a hash on it; the insert still decides races.
    if state.store.player_by_username(&username).await?.is_some() {
        return Err(AppError::from(StoreError::Taken(UniqueField::Username)));
    }
    Ok(CheckedSignUp { username, email, password: sign_up.password, twitch_user_id })
}

async fn store_sign_up(state: &AppState, checked: CheckedSignUp) -> AppResult<PlayerRecord> {
    let CheckedSignUp { username, email, password, twitch_user_id } = checked;
    let password_hash = match password {
        Some(password) => Some(state.passwords.hash(password).await?),
        None => None,
    };
    let created_at = state.clock.now();
    let player = state
        .store
        .create_player(NewPlayer { username, email, password_hash, twitch_user_id, twitch_login: None, created_at })
        .await?;
    tracing::info!(player_id = player.id, "player created");
    Ok(player)
}

/// Checks a new password against the rules and hashes it.
pub async fn hash_new_password(state: &AppState, password: String) -> AppResult<String> {
    input::check_password(state, &password)?;
    Ok(state.passwords.hash(password).await?)
}

/// Changes the player's email and/or password. A new password ends the
/// player's other sessions and forgets the addresses it logged in from,
/// in the store and in this server's login limits.
pub async fn change_account(state: &AppState, player: &PlayerRecord, change: AccountChange) -> AppResult<()> {
    let new_password = change.password_hash.is_some();
    state.store.update_account(player.id, change).await?;
    if new_password {
        state.limits.password_changed(&player.username);
    }
    Ok(())
}

/// [`hash_new_password`] for an optional new password: absent or empty is
/// none, as Unity's `JsonUtility` sends `""` for unset strings.
pub async fn hash_optional_new_password(state: &AppState, password: Option<String>) -> AppResult<Option<String>> {
    match password.filter(|password| !password.is_empty()) {
        Some(password) => Ok(Some(hash_new_password(state, password).await?)),
        None => Ok(None),
    }
}

/// Whether `password` is the player's; a player without one never matches.
pub async fn password_matches(state: &AppState, player: &PlayerRecord, password: &str) -> AppResult<bool> {
    Ok(state.passwords.verify(password.to_owned(), player.password_hash.clone()).await?)
}

/// The one way a player is deleted: every route and command that removes a
/// player comes through here, so data kept outside the players table can
/// be cleared in the same place. It runs to its end even if the caller
/// goes away, so that the boards never keep a player held.
pub async fn delete_player(state: &AppState, player_id: i64) -> AppResult<()> {
    let state = state.clone();
    tokio::spawn(async move { delete_held_player(&state, player_id).await })
        .await
        .map_err(|err| AppError::Internal(err.into()))?
}

/// Holds the player on the boards before reading the values to take off:
/// a commit shown after the hold cannot put the player back, and one shown
/// before it left a value the read sees (leaderboards/removals.rs).
async fn delete_held_player(state: &AppState, player_id: i64) -> AppResult<()> {
    state.boards.hold_player(player_id);
    let (username, entries) = match read_then_delete(state, player_id).await {
        Ok(Some(deleted)) => deleted,
        not_deleted => {
            state.boards.release_player(player_id);
            return Err(match not_deleted {
                Err(err) => err.into(),
                Ok(_) => AppError::not_found("player_not_found", format!("no player {player_id}")),
            });
        }
    };
    state.boards.remove_player(player_id, &entries);
    state.profiles.forget(player_id);
    state.limits.account_deleted(&username);
    tracing::info!(player_id, "player deleted");
    Ok(())
}

/// The player's name and its value on each running board, as stored, then
/// the deletion; None if there is no such player.
async fn read_then_delete(state: &AppState, player_id: i64) -> StoreResult<Option<(String, Vec<BoardValue>)>> {
    let Some(player) = state.store.player_by_id(player_id).await? else { return Ok(None) };
    let stream = crate::store::twitch::Stream::last_start(state.store.stream().await?);
    let mut entries = Vec::new();
    for period in periods::current_and_next(state.clock.now(), stream) {
        for def in state.stats.iter() {
            if let Some(value) = state.store.stat_value(period, player_id, &def.key).await? {
                entries.push((def.key.clone(), period, value));
            }
        }
    }
    let deleted = state.store.delete_player(player_id, state.clock.now(), &Announcement::deletion).await?;
    Ok(deleted.then_some((player.username, entries)))
}
