//! Leaderboards per stat and period, with ranks and neighbours.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::check_stat;
use crate::domain::{Period, PeriodKey, periods};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::extract::{Json, Path, Query};
use crate::http::paging;
use crate::leaderboards::Standing;
use crate::state::AppState;
use crate::store::twitch::Stream;

const TAG: &str = "leaderboards";
const MAX_RADIUS: usize = 100;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(board)).routes(routes!(around_player))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct BoardEntry {
    /// 1 + the number of players with a strictly better value.
    pub rank: u64,
    pub player_id: i64,
    pub username: String,
    pub value: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub stat: String,
    pub period: Period,
    /// Players on this board: those awarded this stat in this period.
    pub total: usize,
    pub entries: Vec<BoardEntry>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PlayerRank {
    pub stat: String,
    pub period: Period,
    pub rank: u64,
    pub value: i64,
    /// The player and up to `radius` neighbours each side.
    pub entries: Vec<BoardEntry>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BoardParams {
    /// 1–1000, default 10.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    offset: Option<u64>,
    /// `all` (default), `day`, `week`, `month` or `stream`.
    period: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AroundParams {
    /// Neighbours each side, 0–100, default 5.
    #[param(minimum = 0, maximum = 100)]
    radius: Option<usize>,
    period: Option<String>,
}

fn parse_period(raw: Option<&str>) -> AppResult<Period> {
    raw.map_or(Ok(Period::All), |raw| {
        raw.parse().map_err(|why: crate::domain::Invalid| AppError::bad_request("invalid_period", why.0))
    })
}

/// The running instance of `period`; none for `stream` before the first
/// stream. The stream is read from the store, so every instance agrees.
/// The website's boards read periods through this too.
pub(crate) async fn running(state: &AppState, period: Period) -> AppResult<Option<PeriodKey>> {
    let stream = match period {
        Period::Stream => Stream::last_start(state.store.stream().await?),
        _ => None,
    };
    Ok(periods::current_key(period, state.clock.now(), stream))
}

async fn with_usernames(state: &AppState, standings: Vec<Standing>) -> AppResult<Vec<BoardEntry>> {
    let ids: Vec<i64> = standings.iter().map(|s| s.player_id).collect();
    let names = state.store.usernames(&ids).await?;
    // A player deleted between the two reads drops out rather than showing nameless.
    Ok(standings
        .into_iter()
        .filter_map(|s| {
            let username = names.get(&s.player_id)?.clone();
            Some(BoardEntry { rank: s.rank, player_id: s.player_id, username, value: s.value })
        })
        .collect())
}

/// The players of a stat's board, best first.
#[utoipa::path(get, path = "/api/v1/leaderboards/{stat}", tag = TAG, params(("stat" = String, Path), BoardParams),
    responses(
        (status = 200, body = Board),
        (status = 400, body = ErrorBody, description = "bad limit or period"),
        (status = 422, body = ErrorBody, description = "unknown stat"),
    ))]
async fn board(
    state: State<AppState>,
    Path(stat): Path<String>,
    Query(params): Query<BoardParams>,
) -> AppResult<Json<Board>> {
    check_stat(&state, &stat)?;
    let period = parse_period(params.period.as_deref())?;
    let limit = paging::limit(params.limit, 10)?;
    let offset = usize::try_from(params.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let (total, standings) = match running(&state, period).await? {
        Some(key) => state.boards.page(&stat, key, offset, limit as usize),
        None => (0, Vec::new()),
    };
    let entries = with_usernames(&state, standings).await?;
    Ok(Json(Board { stat, period, total, entries }))
}

/// A player's rank on a stat's board, with neighbours.
#[utoipa::path(get, path = "/api/v1/leaderboards/{stat}/players/{id}", tag = TAG,
    params(("stat" = String, Path), ("id" = i64, Path), AroundParams),
    responses(
        (status = 200, body = PlayerRank),
        (status = 400, body = ErrorBody, description = "bad radius or period"),
        (status = 404, body = ErrorBody, description = "no such player (player_not_found), or not on this board (not_ranked)"),
        (status = 422, body = ErrorBody, description = "unknown stat"),
    ))]
async fn around_player(
    state: State<AppState>,
    Path((stat, player_id)): Path<(String, i64)>,
    Query(params): Query<AroundParams>,
) -> AppResult<Json<PlayerRank>> {
    check_stat(&state, &stat)?;
    let period = parse_period(params.period.as_deref())?;
    let radius = params.radius.unwrap_or(5);
    if radius > MAX_RADIUS {
        return Err(AppError::bad_request("invalid_radius", format!("radius must be between 0 and {MAX_RADIUS}")));
    }
    let value = match running(&state, period).await? {
        Some(key) => state.store.stat_value(key, player_id, &stat).await?.map(|value| (key, value)),
        None => None,
    };
    let Some((key, value)) = value else {
        if state.store.player_by_id(player_id).await?.is_none() {
            return Err(AppError::not_found("player_not_found", format!("no player with id {player_id}")));
        }
        return Err(AppError::not_found(
            "not_ranked",
            format!("player {player_id} is not on the {period} board of {stat}"),
        ));
    };
    let (rank, standings) = state.boards.around(&stat, key, player_id, value, radius);
    let entries = with_usernames(&state, standings).await?;
    Ok(Json(PlayerRank { stat, period, rank, value, entries }))
}
