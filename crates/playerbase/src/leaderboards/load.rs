use std::collections::HashMap;

use super::Leaderboards;
use crate::domain::PeriodKey;
use crate::store::{Store, StoreResult};

/// Fills the boards of `periods` from the store.
pub async fn load(boards: &Leaderboards, store: &dyn Store, periods: &[PeriodKey]) -> StoreResult<()> {
    for &period in periods {
        let mut by_stat: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        store
            .for_each_value(period, &mut |stat, player_id, value| {
                if let Some(values) = by_stat.get_mut(stat) {
                    values.push((player_id, value));
                } else {
                    by_stat.insert(stat.to_owned(), vec![(player_id, value)]);
                }
            })
            .await?;
        for (stat, values) in by_stat {
            boards.load(&stat, period, values);
        }
    }
    Ok(())
}
