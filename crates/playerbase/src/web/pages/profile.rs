//! `/players/{username}`: every stat with its value, level and rank, and a
//! chart of them drawn on the server. It updates itself while awards come
//! in (`static/live.js`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::{PeriodKey, Username};
use crate::state::AppState;
use crate::web::assets;
use crate::web::chart::{self, Chart, Measure};
use crate::web::errors::WebError;
use crate::web::format::grouped;
use crate::web::layout::{Layout, render};
use crate::web::session::MaybeViewer;

struct StatRow {
    key: String,
    label: String,
    value: String,
    level: Option<i64>,
    /// All-time rank, once the player has had an award of this stat.
    rank: Option<String>,
    /// Players on the stat's all-time board.
    ranked: String,
}

#[derive(Template)]
#[template(path = "pages/profile.html")]
struct ProfilePage {
    layout: Layout,
    player_id: i64,
    username: String,
    joined: String,
    twitch_login: Option<String>,
    stats: Vec<StatRow>,
    chart: Chart,
    script: String,
}

fn not_found(name: &str) -> WebError {
    WebError::not_found(format!("No player is called “{name}”. Names are letters, digits and _; case does not matter."))
}

pub async fn page(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let Ok(username) = Username::parse(&name) else { return Err(not_found(&name)) };
    let Some(player) = state.store.player_by_username(&username).await? else { return Err(not_found(&name)) };
    let mut stats = Vec::new();
    let mut measures = Vec::new();
    for def in state.stats.iter() {
        let stored = player.stats.get(&def.key).copied();
        let value = stored.unwrap_or(def.default);
        let rank = stored.map(|value| state.boards.around(&def.key, PeriodKey::ALL_TIME, player.id, value, 0).0);
        let level = def.levels.as_ref().map(|curve| curve.level(value));
        // With a curve, the bar is the level out of the top level; without
        // one, the value out of the all-time leader's.
        let measure = match &def.levels {
            Some(curve) => Measure {
                label: def.label.clone(),
                text: format!("Level {}", curve.level(value)),
                filled: curve.level(value) as f64 / curve.max_level() as f64,
            },
            None => {
                let top = state.boards.page(&def.key, PeriodKey::ALL_TIME, 0, 1).1.first().map_or(0, |s| s.value);
                let filled = if top > 0 { value as f64 / top as f64 } else { 0.0 };
                Measure { label: def.label.clone(), text: grouped(value), filled }
            }
        };
        measures.push(measure);
        stats.push(StatRow {
            key: def.key.clone(),
            label: def.label.clone(),
            value: grouped(value),
            level,
            rank: rank.map(|rank| grouped(rank as i64)),
            ranked: grouped(state.boards.total(&def.key, PeriodKey::ALL_TIME) as i64),
        });
    }
    let profile = ProfilePage {
        layout: Layout::new(&state, player.username.clone(), viewer.as_ref()),
        player_id: player.id,
        joined: crate::http::views::rfc3339(player.created_at).get(..10).unwrap_or_default().to_owned(),
        twitch_login: player.twitch_user_id.as_ref().map(|id| player.twitch_login.clone().unwrap_or(id.clone())),
        username: player.username,
        stats,
        chart: chart::draw(measures),
        script: assets::url("live.js"),
    };
    Ok(render(&profile))
}

#[derive(Deserialize)]
pub struct Search {
    name: Option<String>,
}

/// `/players?name=…`: the search box's target.
pub async fn search(Query(search): Query<Search>) -> Response {
    let name = search.name.unwrap_or_default();
    let name = name.trim();
    if name.is_empty() || Username::parse(name).is_err() {
        return not_found(name).into_response();
    }
    Redirect::to(&format!("/players/{name}")).into_response()
}
