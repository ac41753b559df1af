//! `/register`: sign-up with the API's rules and limits, unless `auth.registration = "closed"`.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::WebForm;
use crate::accounts::{self, SignUp};
use crate::config::Registration;
use crate::error::AppError;
use crate::limits::ClientIp;
use crate::state::AppState;
use crate::web::csrf;
use crate::web::errors::{WebError, sentence};
use crate::web::layout::{Layout, render_with};
use crate::web::session::start_session;

#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage {
    layout: Layout,
    csrf: String,
    username: String,
    email: String,
    min_password: usize,
    /// The error, and the `id` of the input it is about, if one.
    error: Option<(Option<&'static str>, String)>,
    closed: bool,
    twitch: bool,
}

impl RegisterPage {
    /// Whether the input with this `id` is what the error is about.
    fn invalid(&self, id: &str) -> bool {
        self.error.as_ref().is_some_and(|(field, _)| *field == Some(id))
    }
}

/// The input a sign-up refusal is about, by its code (`username_taken`, `invalid_email`, …).
fn field_of(code: &str) -> Option<&'static str> {
    ["username", "email", "password"].into_iter().find(|field| code.contains(field))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    username: String,
    email: String,
    password: String,
    confirm: String,
    csrf: String,
}

fn closed(state: &AppState) -> bool {
    state.config.auth.registration == Registration::Closed
}

fn show(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    form: RegisterForm,
    error: Option<(Option<&'static str>, String)>,
) -> Response {
    let cookie = csrf::form_cookie(state, headers);
    let page = RegisterPage {
        layout: Layout::new(state, "Sign up", None),
        csrf: cookie.token.clone(),
        username: form.username,
        email: form.email,
        min_password: state.password_rules.min_length,
        error,
        closed: closed(state),
        twitch: !state.config.twitch.client_id.is_empty(),
    };
    (cookie, render_with(status, &page)).into_response()
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let status = if closed(&state) { StatusCode::FORBIDDEN } else { StatusCode::OK };
    show(&state, &headers, status, RegisterForm::default(), None)
}

pub async fn submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    WebForm(form): WebForm<RegisterForm>,
) -> Result<Response, WebError> {
    csrf::check_form_cookie(&state, &headers, &form.csrf)?;
    if closed(&state) {
        return Ok(show(&state, &headers, StatusCode::FORBIDDEN, form, None));
    }
    if form.password != form.confirm {
        let error = Some((Some("confirm"), "The two passwords differ.".to_owned()));
        return Ok(show(&state, &headers, StatusCode::BAD_REQUEST, form, error));
    }
    let sign_up = SignUp {
        username: form.username.clone(),
        password: Some(form.password.clone()),
        email: Some(form.email.clone()),
        twitch_user_id: None,
    };
    match accounts::sign_up_from(&state, ip.0, sign_up).await {
        Ok(player) => {
            // Just made: no password change can have come between.
            let cookie = start_session(&state, &headers, player.id, None).await?;
            Ok((cookie, Redirect::to(&format!("/players/{}", player.username))).into_response())
        }
        Err(err @ (AppError::BadRequest { .. } | AppError::Conflict { .. })) => {
            let (status, code) = err.status_and_code();
            let error = (field_of(code), sentence(&err.to_string()));
            Ok(show(&state, &headers, status, form, Some(error)))
        }
        Err(other) => Err(other.into()),
    }
}
