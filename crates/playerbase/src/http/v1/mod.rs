//! API v1: players, sessions, the caller's own account, the stat catalog,
//! awards, leaderboards and live events.

pub mod auth;
pub mod awards;
mod claims;
mod events;
pub(crate) mod leaderboards;
mod me;
mod players;
mod stats;

use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// 422 `unknown_stat` unless `stat` is configured.
fn check_stat(state: &AppState, stat: &str) -> AppResult<()> {
    if state.stats.get(stat).is_none() {
        return Err(AppError::Unprocessable { code: "unknown_stat", message: format!("no stat {stat:?}") });
    }
    Ok(())
}

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
