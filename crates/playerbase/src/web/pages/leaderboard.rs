//! `/leaderboards/{stat}`: one stat's board, a tab per period, 25 a page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::standings::{self, Row};
use crate::domain::Period;
use crate::http::v1::leaderboards::running;
use crate::state::AppState;
use crate::web::errors::WebError;
use crate::web::format::{grouped, period_label};
use crate::web::layout::{Layout, render};
use crate::web::session::MaybeViewer;

pub const PAGE_SIZE: usize = 25;

/// A link in a row of tabs or chips; `current` marks the one shown.
pub struct Link {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "pages/leaderboard.html")]
struct BoardPage {
    layout: Layout,
    label: String,
    period_label: &'static str,
    has_levels: bool,
    periods: Vec<Link>,
    stats: Vec<Link>,
    rows: Vec<Row>,
    total: String,
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
    /// `stream` before the first stream: nothing to rank yet.
    no_stream: bool,
    /// The logged-in player's name, and rank and value here if on this board.
    you: Option<(String, Option<(String, String)>)>,
}

#[derive(Deserialize)]
pub struct Params {
    period: Option<String>,
    page: Option<String>,
}

fn href(stat: &str, period: Period, page: usize) -> String {
    let mut href = format!("/leaderboards/{stat}");
    let mut query = Vec::new();
    if period != Period::All {
        query.push(format!("period={period}"));
    }
    if page > 1 {
        query.push(format!("page={page}"));
    }
    if !query.is_empty() {
        href.push('?');
        href.push_str(&query.join("&"));
    }
    href
}

/// `/leaderboards`: the first configured stat's board.
pub async fn first(State(state): State<AppState>) -> Response {
    let first = state.stats.iter().next().map(|def| def.key.clone()).unwrap_or_default();
    Redirect::to(&href(&first, Period::All, 1)).into_response()
}

pub async fn page(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(stat): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let def = state.stats.get(&stat).ok_or_else(|| {
        WebError::not_found("There is no leaderboard by that name. The leaderboards page lists every stat.")
    })?;
    let period = match params.period.as_deref() {
        None | Some("") => Period::All,
        Some(raw) => raw.parse().map_err(|_| WebError::bad_request("There is no such period: use the tabs."))?,
    };
    let page = match params.page.as_deref() {
        None | Some("") => 1,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|&page| page >= 1)
            .ok_or_else(|| WebError::bad_request("The page number must be a whole number from 1."))?,
    };
    let key = running(&state, period).await?;
    let offset = (page - 1).saturating_mul(PAGE_SIZE);
    let (total, top) = key.map_or((0, Vec::new()), |key| state.boards.page(&stat, key, offset, PAGE_SIZE));
    let names = standings::names(&state, &top).await?;
    // Where the logged-in player stands, wherever that is: one indexed read and the in-memory rank.
    let you = match (&viewer, key) {
        (Some(viewer), Some(key)) => {
            let player = &viewer.player;
            let standing = match state.store.stat_value(key, player.id, &stat).await? {
                Some(value) => {
                    let rank = state.boards.around(&stat, key, player.id, value, 0).0;
                    Some((grouped(rank as i64), grouped(value)))
                }
                None => None,
            };
            Some((player.username.clone(), standing))
        }
        _ => None,
    };
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(WebError::not_found(format!("There is no page {page}: this board has {pages}.")));
    }
    let board = BoardPage {
        layout: Layout::new(&state, title(&def.label, period, page), viewer.as_ref()),
        label: def.label.clone(),
        period_label: period_label(period),
        has_levels: def.levels.is_some() && period == Period::All,
        periods: Period::ALL
            .into_iter()
            .map(|p| Link { label: period_label(p).into(), href: href(&stat, p, 1), current: p == period })
            .collect(),
        stats: state
            .stats
            .iter()
            .map(|d| Link { label: d.label.clone(), href: href(&d.key, period, 1), current: d.key == stat })
            .collect(),
        rows: standings::rows(def, period, &top, &names),
        total: grouped(total as i64),
        page,
        pages,
        previous: (page > 1).then(|| href(&stat, period, (page - 1).min(pages))),
        next: (page < pages).then(|| href(&stat, period, page + 1)),
        no_stream: key.is_none(),
        you,
    };
    Ok(render(&board))
}

/// "Melee attack XP · All time", with the page after the first: tabs and history
/// entries of two pages of a board are told apart.
fn title(label: &str, period: Period, page: usize) -> String {
    let board = format!("{label} · {}", period_label(period));
    if page > 1 { format!("{board} · page {page}") } else { board }
}
