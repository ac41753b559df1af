//! Errors on the website are pages: the status that fits, a heading, a
//! sentence saying what to do, and the way back. The API keeps its JSON.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::layout::{Layout, render};
use super::session;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    heading: String,
    message: String,
    /// Seconds, for a rate-limited request's `Retry-After`.
    retry_after: Option<u64>,
}

/// What an error page says, kept on its response for [`for_visitor`].
#[derive(Debug, Clone)]
struct Said {
    heading: String,
    message: String,
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

impl WebError {
    pub fn new(status: StatusCode, heading: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, heading: heading.into(), message: message.into(), retry_after: None }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "That did not work", message)
    }

    /// A form without this browser's CSRF token: posted from another site,
    /// or from a page older than the session.
    pub fn stale_form() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was not sent from this site's current page. Go back, reload the page and try again.",
        )
    }
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        let (status, _) = err.status_and_code();
        if let AppError::Internal(cause) = &err {
            tracing::error!(error = ?cause, "internal error on a page");
            return Self::new(status, "Something went wrong", "The server failed to answer. Try again in a moment.");
        }
        if let AppError::TooManyRequests { retry_after } = err {
            let message = format!("Too many attempts from here or for this account. Try again in {retry_after} s.");
            return Self { retry_after: Some(retry_after), ..Self::new(status, "Slow down", message) };
        }
        let heading = status.canonical_reason().unwrap_or("Error");
        Self::new(status, heading, sentence(&err.to_string()))
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(err: crate::store::StoreError) -> Self {
        AppError::from(err).into()
    }
}

/// The API's messages ("that username is already taken") as a sentence.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut text: String = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('.') {
        text.push('.');
    }
    text
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut layout = Layout::bare(&self.heading);
        // Whoever is visiting, a 401 asks them to log in.
        layout.offers_login = self.status == StatusCode::UNAUTHORIZED;
        let said = Said { heading: self.heading.clone(), message: self.message.clone() };
        let page = ErrorPage { layout, heading: self.heading, message: self.message };
        let mut response = render(&page);
        *response.status_mut() = self.status;
        response.extensions_mut().insert(said);
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Draws the website's error pages again for whoever is visiting: a
/// logged-in player keeps their name and "Log out" in the navigation, anyone
/// else is offered "Log in". A [`WebError`] becomes a page where the request
/// is not at hand, and shows neither.
pub async fn for_visitor(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut cookies = HeaderMap::new();
    for cookie in request.headers().get_all(header::COOKIE) {
        cookies.append(header::COOKIE, cookie.clone());
    }
    let response = next.run(request).await;
    redraw_for_visitor(&state, &cookies, response).await
}

/// [`for_visitor`] for one response. A 401 page asks whoever is visiting to
/// log in already; a 500 or 503 page is not held up by another trip to a
/// database that may be what failed (a 502 is Twitch's failure, not ours);
/// a page whose visitor cannot be looked up stays as it was.
pub async fn redraw_for_visitor(state: &AppState, headers: &HeaderMap, response: Response) -> Response {
    let Some(said) = response.extensions().get::<Said>().cloned() else { return response };
    if matches!(
        response.status(),
        StatusCode::UNAUTHORIZED | StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE
    ) {
        return response;
    }
    let Ok(viewer) = session::viewer(state, headers).await else { return response };
    let page = ErrorPage {
        layout: Layout::new(state, &said.heading, viewer.as_ref()),
        heading: said.heading,
        message: said.message,
    };
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, render(&page).into_body())
}

/// The page for a method a website path does not take (`GET /logout`, say).
pub fn method_not_allowed_page() -> Response {
    WebError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Not that way",
        "This address takes a form, not a visit. To log out, use the button at the top of any page.",
    )
    .into_response()
}

/// The page for a path the website does not have.
pub fn not_found_page() -> Response {
    WebError::not_found("There is no page here. Look a player up by name, or see the leaderboards.").into_response()
}
