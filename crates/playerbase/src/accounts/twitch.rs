//! Players keyed by their Twitch account: found by Twitch user id, or made
//! from the Twitch login with a username of their own.

use crate::domain::username::MAX_USERNAME_LEN;
use crate::domain::{TwitchUserId, Username};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{NewPlayer, PlayerRecord, StoreError, UniqueField};
use crate::twitch::TwitchUser;

/// Suffixes tried after the bare login when another player holds that name.
const NUMBERED_TRIES: u32 = 20;

/// Whether the player was only ever a Twitch viewer: no password and no
/// email, so nobody can log in as it except through Twitch.
pub fn is_viewer_only(player: &PlayerRecord) -> bool {
    player.password_hash.is_none() && player.email.is_none()
}

/// The player of this Twitch account, its stored login brought up to date;
/// created (username from the login, made unique) if there is none.
/// Returns the player and whether it was created just now.
pub async fn find_or_create_player(state: &AppState, user: &TwitchUser) -> AppResult<(PlayerRecord, bool)> {
    let user_id = parse_user_id(&user.user_id)?;
    if let Some(player) = existing(state, &user_id, &user.login).await? {
        return Ok((player, false));
    }
    for username in candidate_usernames(&user.login, &user_id) {
        let new = NewPlayer {
            username,
            email: None,
            password_hash: None,
            twitch_user_id: Some(user_id.clone()),
            twitch_login: Some(user.login.clone()),
            created_at: state.clock.now(),
        };
        match state.store.create_player(new).await {
            Ok(player) => {
                tracing::info!(player_id = player.id, "player created for a Twitch account");
                return Ok((player, true));
            }
            Err(StoreError::Taken(UniqueField::Username)) => continue,
            // Created meanwhile (a chat event, another login): that one is the player.
            Err(StoreError::Taken(UniqueField::TwitchUserId)) => {
                if let Some(player) = existing(state, &user_id, &user.login).await? {
                    return Ok((player, false));
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!("no free username for a Twitch account")))
}

pub fn parse_user_id(raw: &str) -> AppResult<TwitchUserId> {
    TwitchUserId::parse(raw)
        .map_err(|why| AppError::Internal(anyhow::anyhow!("Twitch sent an unusable user id: {}", why.0)))
}

async fn existing(state: &AppState, user_id: &TwitchUserId, login: &str) -> AppResult<Option<PlayerRecord>> {
    let Some(mut player) = state.store.player_by_twitch_id(user_id).await? else { return Ok(None) };
    if player.twitch_login.as_deref() != Some(login) {
        // Logins change (at most every 60 days); the id stays.
        state.store.link_twitch(player.id, user_id, login).await?;
        state.profiles.forget(player.id);
        player.twitch_login = Some(login.to_owned());
    }
    Ok(Some(player))
}

/// The login itself, then `login_2`, `login_3`, …, then `tw` and the user
/// id, which no other Twitch account can hold. Characters a username may
/// not hold are left out (Twitch logins never have any, but it is Twitch's
/// input); a login with nothing left, or none at all, goes straight to the id.
pub(crate) fn candidate_usernames(login: &str, user_id: &TwitchUserId) -> impl Iterator<Item = Username> {
    let base: String = login.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(25).collect();
    let tries = if base.trim_matches('_').is_empty() { 0 } else { NUMBERED_TRIES };
    let numbered = (2..tries + 2).map(move |n| format!("{base}_{n}"));
    std::iter::once(login.to_owned())
        .chain(numbered)
        .chain(std::iter::once(format!("tw{}", user_id.as_str())))
        .filter(|name| name.len() <= MAX_USERNAME_LEN)
        .filter_map(|name| Username::parse(&name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_login_then_numbered_then_the_id() {
        let id = TwitchUserId::parse("44429626").unwrap();
        let names: Vec<String> = candidate_usernames("kicksent", &id).map(|u| u.as_str().to_owned()).collect();
        assert_eq!(&names[..3], ["kicksent", "kicksent_2", "kicksent_3"]);
        assert_eq!(names.last().unwrap(), "tw44429626");
        assert_eq!(names.len(), 1 + NUMBERED_TRIES as usize + 1);
        let odd: Vec<String> = candidate_usernames("bad-login", &id).map(|u| u.as_str().to_owned()).collect();
        assert_eq!(odd[0], "badlogin_2", "an invalid login is skipped, its cleaned form numbered");
        for nameless in ["", "-"] {
            let names: Vec<String> = candidate_usernames(nameless, &id).map(|u| u.as_str().to_owned()).collect();
            assert_eq!(names, ["tw44429626"], "no `_2`, `_3`, … for a login of {nameless:?}");
        }
    }
}
