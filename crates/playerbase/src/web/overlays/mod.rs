//! Stream overlays for OBS's browser source: transparent pages without
//! login that follow `/api/v1/events` (`static/overlay.js`). Unlike pages,
//! they may be framed (`http::guards::overlay_policy`).

mod awards;
mod leaderboard;

use axum::Router;
use axum::routing::get;
use tower::util::MapResponseLayer;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/overlay/leaderboard/{stat}", get(leaderboard::page))
        .route("/overlay/awards", get(awards::page))
        .layer(MapResponseLayer::new(crate::http::guards::overlay_policy))
}
