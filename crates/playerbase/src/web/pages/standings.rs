//! Leaderboard rows as pages show them: names looked up in one query.

use std::collections::HashMap;

use crate::domain::Period;
use crate::domain::stats::StatDef;
use crate::error::AppResult;
use crate::leaderboards::Standing;
use crate::state::AppState;
use crate::web::format::grouped;

pub struct Row {
    pub rank: u64,
    pub username: String,
    pub value: String,
    pub level: Option<i64>,
}

/// The usernames of every player in `standings`.
pub async fn names<'a>(
    state: &AppState,
    standings: impl IntoIterator<Item = &'a Standing>,
) -> AppResult<HashMap<i64, String>> {
    let ids: Vec<i64> = standings.into_iter().map(|s| s.player_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state.store.usernames(&ids).await?)
}

/// Rows of `def`'s board; a player deleted since the board was read drops out.
/// A level is of an all-time value: the rows of a period's board (today's
/// gains, say) have none, or a level-99 player would show level 1 there.
pub fn rows(def: &StatDef, period: Period, standings: &[Standing], names: &HashMap<i64, String>) -> Vec<Row> {
    let levels = def.levels.as_ref().filter(|_| period == Period::All);
    standings
        .iter()
        .filter_map(|s| {
            Some(Row {
                rank: s.rank,
                username: names.get(&s.player_id)?.clone(),
                value: grouped(s.value),
                level: levels.map(|curve| curve.level(s.value)),
            })
        })
        .collect()
}
