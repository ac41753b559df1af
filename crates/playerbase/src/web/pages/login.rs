//! `/login`: username and password, or "Log in with Twitch" when Twitch is configured.
//! Attempts count against the same `[limits]` as API logins.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{WebForm, local_path_or};
use crate::auth::verify_login;
use crate::error::AppError;
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::errors::WebError;
use crate::web::layout::{Layout, render_with};
use crate::web::session::{MaybeViewer, start_session};

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    twitch: bool,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
    csrf: String,
}

fn show(state: &AppState, headers: &HeaderMap, status: StatusCode, form: LoginForm, error: Option<String>) -> Response {
    let cookie = csrf::form_cookie(state, headers);
    let page = LoginPage {
        layout: Layout::new(state, "Log in", None),
        csrf: cookie.token.clone(),
        next: form.next,
        username: form.username,
        error,
        twitch: !state.config.twitch.client_id.is_empty(),
    };
    (cookie, render_with(status, &page)).into_response()
}

pub async fn form(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Response {
    let next = next.next.unwrap_or_default();
    if let Some(viewer) = viewer {
        return Redirect::to(&local_path_or(&next, format!("/players/{}", viewer.player.username))).into_response();
    }
    show(&state, &headers, StatusCode::OK, LoginForm { next, ..LoginForm::default() }, None)
}

pub async fn submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    WebForm(form): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    csrf::check_form_cookie(&state, &headers, &form.csrf)?;
    match verify_login(&state, ip, &form.username, &form.password).await {
        Ok(player) => {
            let cookie = start_session(&state, &headers, player.id, player.password_hash.as_deref()).await?;
            let to = local_path_or(&form.next, format!("/players/{}", player.username));
            Ok((cookie, Redirect::to(&to)).into_response())
        }
        Err(AppError::Unauthorized(_)) => {
            let error = Some("Wrong username or password.".to_owned());
            Ok(show(&state, &headers, StatusCode::UNAUTHORIZED, LoginForm { password: String::new(), ..form }, error))
        }
        Err(other) => Err(other.into()),
    }
}
