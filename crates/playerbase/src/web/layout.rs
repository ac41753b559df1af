//! What every page shares: the title, the navigation (who is logged in),
//! the stylesheet; and how a template becomes a response.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::assets;
use super::session::Viewer;
use crate::config::Registration;
use crate::state::AppState;

/// The logged-in player, as the navigation shows it.
pub struct NavViewer {
    pub username: String,
    /// For the logout button's form.
    pub csrf: String,
}

pub struct Layout {
    pub title: String,
    pub viewer: Option<NavViewer>,
    /// Whether the navigation may offer "Log in" and "Sign up" to a visitor
    /// without `viewer`: not where who is visiting is unknown.
    pub offers_login: bool,
    pub can_register: bool,
    pub css: String,
}

impl Layout {
    pub fn new(state: &AppState, title: impl Into<String>, viewer: Option<&Viewer>) -> Self {
        Self {
            title: title.into(),
            viewer: viewer
                .map(|viewer| NavViewer { username: viewer.player.username.clone(), csrf: viewer.csrf.clone() }),
            offers_login: true,
            can_register: state.config.auth.registration == Registration::Open,
            css: assets::url("site.css"),
        }
    }

    /// For error pages, made where neither the state nor the viewer is at
    /// hand: a logged-in player must not be offered "Log in".
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.into(),
            viewer: None,
            offers_login: false,
            can_register: false,
            css: assets::url("site.css"),
        }
    }
}

/// A rendered page, never cached: stats change by the second. (The
/// security headers, CSP and framing rules included, come from
/// `http::guards::security_headers` around every route.)
pub fn render(template: &impl Template) -> Response {
    let mut response = match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Like [`render`], with another status (a form shown again with its error).
pub fn render_with(status: StatusCode, template: &impl Template) -> Response {
    let mut response = render(template);
    *response.status_mut() = status;
    response
}
