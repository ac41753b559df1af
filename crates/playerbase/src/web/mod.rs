//! The website: server-rendered pages, stream overlays for OBS and their
//! static files, all compiled into the binary (askama templates under
//! `templates/`, CSS and the few lines of script under `static/`).
//!
//! Pages read the in-memory leaderboards and at most a few indexed rows,
//! so they cost the same at a hundred players as at a hundred thousand.

pub mod assets;
pub mod chart;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod format;
pub mod layout;
mod overlays;
mod pages;
pub mod session;

use axum::Router;

use crate::state::AppState;

pub use session::start_session;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(assets::routes())
        .merge(pages::routes())
        .merge(overlays::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), errors::for_visitor))
}

/// Whether a path is the website's (everything outside `/api`), so that an
/// unknown one is answered with a page rather than the API's JSON error.
pub fn owns_path(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/"))
}
