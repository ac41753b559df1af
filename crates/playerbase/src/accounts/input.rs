//! Checks of account input shared by every route that takes it, so the
//! seed's routes, v1 and the website refuse the same things the same way.

use crate::domain::{Email, TwitchUserId, Username};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn parse_username(raw: &str) -> AppResult<Username> {
    Username::parse(raw).map_err(|why| AppError::bad_request("invalid_username", why.0))
}

/// An absent or empty email is none: Unity's `JsonUtility` sends `""` for unset strings.
pub fn parse_optional_email(raw: Option<&str>) -> AppResult<Option<Email>> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => Email::parse(raw).map(Some).map_err(|why| AppError::bad_request("invalid_email", why.0)),
    }
}

/// An absent or empty Twitch user id is none, as with emails.
pub fn parse_optional_twitch_user_id(raw: Option<&str>) -> AppResult<Option<TwitchUserId>> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => {
            TwitchUserId::parse(raw).map(Some).map_err(|why| AppError::bad_request("invalid_twitch_user_id", why.0))
        }
    }
}

pub fn check_password(state: &AppState, password: &str) -> AppResult<()> {
    state.password_rules.check(password).map_err(|why| AppError::bad_request("invalid_password", why.0))
}
