//! API v1: the routes games, bots and websites build on.

mod awards;
mod events;
mod leaderboards;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(awards::routes()).merge(leaderboards::routes()).merge(events::routes())
}
