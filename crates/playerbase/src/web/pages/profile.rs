//! `/players/{username}`: every stat with its value, level and rank, and a
//! chart of them drawn on the server. It updates itself while awards come
//! in (`static/live.js`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::{Op, PeriodKey, Username};
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
                let best = state.boards.page(&def.key, PeriodKey::ALL_TIME, 0, 1).1.first().map(|s| s.value);
                Measure { label: def.label.clone(), text: grouped(value), filled: share_of_best(def.op, value, best) }
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

/// How full a stat's bar is: 1 for the all-time leader's value. Where lower
/// is better (`min`), the leader's value over the player's, so a worse time
/// is a shorter bar; values at or below zero have no share to show.
fn share_of_best(op: Op, value: i64, best: Option<i64>) -> f64 {
    let Some(best) = best else { return 0.0 };
    if value == best {
        return 1.0;
    }
    match op {
        Op::Min if best > 0 && value > 0 => best as f64 / value as f64,
        Op::Min => 0.0,
        _ if best > 0 => value.max(0) as f64 / best as f64,
        _ => 0.0,
    }
}

#[derive(Deserialize)]
pub struct Search {
    name: Option<String>,
}

/// `/players?name=…`: the search box's target.
pub async fn search(Query(search): Query<Search>) -> Response {
    let name = search.name.unwrap_or_default();
    let name = name.trim();
    if name.is_empty() {
        return WebError::bad_request("Type a name to find a player.").into_response();
    }
    if Username::parse(name).is_err() {
        return not_found(name).into_response();
    }
    Redirect::to(&format!("/players/{name}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_fills_the_bar_and_lower_is_better_for_min_stats() {
        assert_eq!(share_of_best(Op::Add, 50, Some(200)), 0.25);
        assert_eq!(share_of_best(Op::Add, -5, Some(200)), 0.0);
        assert_eq!(share_of_best(Op::Min, 300, Some(150)), 0.5, "twice the best time: half a bar");
        assert_eq!(share_of_best(Op::Min, 150, Some(150)), 1.0);
        assert_eq!(share_of_best(Op::Min, 0, Some(150)), 0.0);
        assert_eq!(share_of_best(Op::Max, 7, None), 0.0, "nobody on the board yet");
        assert_eq!(share_of_best(Op::Set, -3, Some(-3)), 1.0, "the leader, even below zero");
    }
}
