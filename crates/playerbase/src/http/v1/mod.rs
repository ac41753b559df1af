//! API v1: players, sessions, the caller's own account, the stat catalog,
//! awards, leaderboards and live events.

mod auth;
mod awards;
mod events;
mod leaderboards;
mod me;
mod players;
mod stats;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(players::routes())
        .merge(auth::routes())
        .merge(me::routes())
        .merge(stats::routes())
        .merge(awards::routes())
        .merge(leaderboards::routes())
        .merge(events::routes())
}
