//! API v1: players, sessions, the caller's own account, and the stat catalog.

mod auth;
mod me;
mod players;
mod stats;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(players::routes()).merge(auth::routes()).merge(me::routes()).merge(stats::routes())
}
