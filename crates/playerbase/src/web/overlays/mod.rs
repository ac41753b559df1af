//! Stream overlays for OBS's browser source: transparent pages without
//! login that follow `/api/v1/events` (`static/overlay.js`).

mod awards;
mod leaderboard;

use axum::Router;
use axum::http::header;
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;
use crate::web::layout::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/overlay/leaderboard/{stat}", get(leaderboard::page))
        .route("/overlay/awards", get(awards::page))
}

/// An overlay may be framed: streamers embed them in other tools, and
/// there is nothing on them to click.
fn render_overlay(template: &impl askama::Template) -> Response {
    let mut response = render(template);
    response.headers_mut().remove(header::X_FRAME_OPTIONS);
    response
}
