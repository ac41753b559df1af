//! `/overlay/leaderboard/{stat}?limit=10&period=all`: the top of a board,
//! redrawn as awards for its stat come in.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::Period;
use crate::http::v1::leaderboards::running;
use crate::state::AppState;
use crate::web::assets;
use crate::web::errors::WebError;
use crate::web::format::{grouped, period_label};
use crate::web::layout::render;

const MAX_LIMIT: usize = 50;

struct Row {
    rank: u64,
    username: String,
    value: String,
}

#[derive(Template)]
#[template(path = "overlays/leaderboard.html")]
struct BoardOverlay {
    css: String,
    script: String,
    stat: String,
    title: String,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
pub struct Params {
    limit: Option<String>,
    period: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Path(stat): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let def = state.stats.get(&stat).ok_or_else(|| WebError::not_found("There is no stat by that name."))?;
    let limit = match params.limit.as_deref() {
        None | Some("") => 10,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| WebError::bad_request(format!("limit must be a whole number from 1 to {MAX_LIMIT}.")))?,
    };
    let period: Period = match params.period.as_deref() {
        None | Some("") => Period::All,
        Some(raw) => {
            raw.parse().map_err(|_| WebError::bad_request("period must be all, day, week, month or stream."))?
        }
    };
    let top = running(&state, period).await?.map_or(Vec::new(), |key| state.boards.page(&stat, key, 0, limit).1);
    let ids: Vec<i64> = top.iter().map(|s| s.player_id).collect();
    let names = if ids.is_empty() { Default::default() } else { state.store.usernames(&ids).await? };
    let rows = top
        .iter()
        .filter_map(|s| Some(Row { rank: s.rank, username: names.get(&s.player_id)?.clone(), value: grouped(s.value) }))
        .collect();
    let title = match period {
        Period::All => def.label.clone(),
        other => format!("{} · {}", def.label, period_label(other)),
    };
    Ok(render(&BoardOverlay { css: assets::url("overlay.css"), script: assets::url("overlay.js"), stat, title, rows }))
}
