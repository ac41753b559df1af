//! `/account`: the logged-in player's email, password, linked Twitch
//! account, and deleting the account. Every change needs the current
//! password, as the API's do; a new password ends every other session.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::WebForm;
use crate::accounts::{self, input::parse_optional_email};
use crate::error::{AppError, AppResult};
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::store::{AccountChange, EmailChange};
use crate::web::csrf;
use crate::web::errors::{WebError, sentence};
use crate::web::layout::{Layout, render, render_with};
use crate::web::session::{Viewer, forget_session};

/// Which form an error belongs to, so it is shown beside that form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Email,
    Password,
    Delete,
}

/// The input an error is about: marked invalid and described by the error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    EmailPassword,
    CurrentPassword,
    NewPassword,
    Confirm,
    DeletePassword,
    DeleteUsername,
}

impl Field {
    /// The input's `id` in the template.
    fn id(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::EmailPassword => "email-password",
            Self::CurrentPassword => "current-password",
            Self::NewPassword => "new-password",
            Self::Confirm => "confirm-password",
            Self::DeletePassword => "delete-password",
            Self::DeleteUsername => "delete-username",
        }
    }

    fn section(self) -> Section {
        match self {
            Self::Email | Self::EmailPassword => Section::Email,
            Self::CurrentPassword | Self::NewPassword | Self::Confirm => Section::Password,
            Self::DeletePassword | Self::DeleteUsername => Section::Delete,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage {
    layout: Layout,
    csrf: String,
    username: String,
    email: String,
    has_password: bool,
    min_password: usize,
    twitch_user_id: Option<String>,
    twitch_login: Option<String>,
    notice: Option<&'static str>,
    error: Option<(Field, String)>,
}

impl AccountPage {
    fn error_for(&self, section: Section) -> Option<&str> {
        self.error.as_ref().filter(|(at, _)| at.section() == section).map(|(_, message)| message.as_str())
    }

    /// Whether the input with this `id` is what the error is about.
    fn invalid(&self, id: &str) -> bool {
        self.error.as_ref().is_some_and(|(field, _)| field.id() == id)
    }

    fn email_error(&self) -> Option<&str> {
        self.error_for(Section::Email)
    }

    fn password_error(&self) -> Option<&str> {
        self.error_for(Section::Password)
    }

    fn delete_error(&self) -> Option<&str> {
        self.error_for(Section::Delete)
    }
}

#[derive(Template)]
#[template(path = "pages/deleted.html")]
struct DeletedPage {
    layout: Layout,
}

fn show(state: &AppState, viewer: &Viewer, notice: Option<&'static str>, error: Option<(Field, String)>) -> Response {
    let player = &viewer.player;
    let status = match &error {
        None => StatusCode::OK,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let page = AccountPage {
        layout: Layout::new(state, "Your account", Some(viewer)),
        csrf: viewer.csrf.clone(),
        username: player.username.clone(),
        email: player.email.clone().unwrap_or_default(),
        has_password: player.password_hash.is_some(),
        min_password: state.password_rules.min_length,
        twitch_user_id: player.twitch_user_id.clone(),
        twitch_login: player.twitch_login.clone(),
        notice,
        error,
    };
    render_with(status, &page)
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn page(State(state): State<AppState>, viewer: Viewer, Query(done): Query<Done>) -> Response {
    let notice = match done.done.as_deref() {
        Some("email") => Some("Your email is saved."),
        Some("email-removed") => Some("Your email is removed."),
        Some("password") => Some("Your password is changed. Every other session has been logged out."),
        _ => None,
    };
    show(&state, &viewer, notice, None)
}

/// Whether `password` is the player's, checked under the same limits as a
/// login (as the API does): a stolen session must not become a way to guess it.
async fn require_password(state: &AppState, ip: ClientIp, viewer: &Viewer, password: &str) -> AppResult<bool> {
    let player = &viewer.player;
    let now = state.clock.now();
    crate::auth::password_attempt(state, ip, &player.username, now).await?;
    let matches = accounts::password_matches(state, player, password).await?;
    if !matches {
        state.limits.login_failed(&player.username, now);
    }
    Ok(matches)
}

/// A form error as the account page shows it, or a page for the rest.
fn form_error(state: &AppState, viewer: &Viewer, field: Field, err: AppError) -> Result<Response, WebError> {
    match err {
        AppError::BadRequest { .. } | AppError::Conflict { .. } => {
            Ok(show(state, viewer, None, Some((field, sentence(&err.to_string())))))
        }
        other => Err(other.into()),
    }
}

const WRONG_PASSWORD: &str = "The current password is wrong.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    /// Absent leaves the email; emptied, the field asks for none.
    email: Option<String>,
    current_password: String,
    csrf: String,
}

pub async fn change_email(
    State(state): State<AppState>,
    ip: ClientIp,
    viewer: Viewer,
    WebForm(form): WebForm<EmailForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&viewer, &form.csrf)?;
    // A player without a password (created through Twitch) proves it by the session alone.
    if viewer.player.password_hash.is_some() && !require_password(&state, ip, &viewer, &form.current_password).await? {
        return Ok(show(&state, &viewer, None, Some((Field::EmailPassword, WRONG_PASSWORD.into()))));
    }
    let (email, done) = match form.email.as_deref().map(|raw| parse_optional_email(Some(raw.trim()))) {
        None => return Ok(Redirect::to("/account").into_response()),
        Some(Ok(Some(email))) => (EmailChange::Set(email), "/account?done=email"),
        Some(Ok(None)) if viewer.player.email.is_none() => return Ok(Redirect::to("/account").into_response()),
        Some(Ok(None)) => (EmailChange::Remove, "/account?done=email-removed"),
        Some(Err(err)) => return form_error(&state, &viewer, Field::Email, err),
    };
    let change = AccountChange { email, password_hash: None, keep_session: Some(viewer.session_id) };
    if let Err(err) = accounts::change_account(&state, &viewer.player, change).await {
        return form_error(&state, &viewer, Field::Email, err);
    }
    Ok(Redirect::to(done).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm: String,
    csrf: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ip: ClientIp,
    viewer: Viewer,
    WebForm(form): WebForm<PasswordForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&viewer, &form.csrf)?;
    if !require_password(&state, ip, &viewer, &form.current_password).await? {
        return Ok(show(&state, &viewer, None, Some((Field::CurrentPassword, WRONG_PASSWORD.into()))));
    }
    if form.new_password != form.confirm {
        return Ok(show(&state, &viewer, None, Some((Field::Confirm, "The two new passwords differ.".into()))));
    }
    let password_hash = match accounts::hash_new_password(&state, form.new_password).await {
        Ok(hash) => hash,
        Err(err) => return form_error(&state, &viewer, Field::NewPassword, err),
    };
    // Ends every other session of the player, website and API alike; this one stays.
    let change = AccountChange {
        email: EmailChange::Keep,
        password_hash: Some(password_hash),
        keep_session: Some(viewer.session_id),
    };
    accounts::change_account(&state, &viewer.player, change).await?;
    tracing::info!(player_id = viewer.player.id, "password changed on the website");
    Ok(Redirect::to("/account?done=password").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    current_password: String,
    /// For players without a password: their username, typed out.
    confirm_username: String,
    csrf: String,
}

pub async fn delete(
    State(state): State<AppState>,
    ip: ClientIp,
    viewer: Viewer,
    WebForm(form): WebForm<DeleteForm>,
) -> Result<Response, WebError> {
    csrf::check_session(&viewer, &form.csrf)?;
    let confirmed = if viewer.player.password_hash.is_some() {
        require_password(&state, ip, &viewer, &form.current_password).await?
    } else {
        form.confirm_username.trim().eq_ignore_ascii_case(&viewer.player.username)
    };
    if !confirmed {
        let (field, why) = if viewer.player.password_hash.is_some() {
            (Field::DeletePassword, WRONG_PASSWORD)
        } else {
            (Field::DeleteUsername, "Type your username to confirm.")
        };
        return Ok(show(&state, &viewer, None, Some((field, why.into()))));
    }
    accounts::delete_player(&state, viewer.player.id).await?;
    let page = DeletedPage { layout: Layout::new(&state, "Account deleted", None) };
    Ok((forget_session(&state), render(&page)).into_response())
}
