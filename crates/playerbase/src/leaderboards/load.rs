use std::collections::HashMap;

use super::Leaderboards;
use crate::domain::PeriodKey;
use crate::store::{Store, StoreResult};

/// Fills the boards of `periods` from one snapshot of the store; returns the
/// last announcement that snapshot includes, where following them starts.
pub async fn load(boards: &Leaderboards, store: &dyn Store, periods: &[PeriodKey]) -> StoreResult<i64> {
    let mut by_board: HashMap<PeriodKey, HashMap<String, Vec<(i64, i64)>>> = HashMap::new();
    let last_announcement = store
        .board_snapshot(periods, &mut |period, stat, player_id, value| {
            let by_stat = by_board.entry(period).or_default();
            // Looked up by &str first: one allocation per board, not per row.
            match by_stat.get_mut(stat) {
                Some(values) => values.push((player_id, value)),
                None => {
                    by_stat.insert(stat.to_owned(), vec![(player_id, value)]);
                }
            }
        })
        .await?;
    for (period, by_stat) in by_board {
        for (stat, values) in by_stat {
            boards.load(&stat, period, values);
        }
    }
    Ok(last_announcement)
}
