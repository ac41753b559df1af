//! Stat values on SQLite: one `player_stats` row per player and stat holds
//! the all-time value, each running period's value beside the period's
//! start, and the newest ledger row of that player and stat. An award then
//! writes one row, one page, instead of one per period (migration 0011).

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::domain::{Period, PeriodKey};
use crate::store::{StoreError, StoreResult};

/// Rows per statement: 12 bound values each, under SQLite's 32,766.
const CHUNK: usize = 1000;

/// The running periods, in the order of [`Cell::periods`].
const RUNNING: [Period; 4] = [Period::Day, Period::Week, Period::Month, Period::Stream];

/// A running period's `(start column, value column)`; none for all time.
pub fn columns(period: Period) -> Option<(&'static str, &'static str)> {
    match period {
        Period::All => None,
        Period::Day => Some(("day_start", "day_value")),
        Period::Week => Some(("week_start", "week_value")),
        Period::Month => Some(("month_start", "month_value")),
        Period::Stream => Some(("stream_start", "stream_value")),
    }
}

/// An SQL expression for `period`'s value in a `player_stats` row `s`,
/// with `start` the SQL of the period's start: NULL when the row's pair is
/// of an earlier period.
pub fn value_in(period: Period, start: &str) -> String {
    match columns(period) {
        None => "s.value".to_owned(),
        Some((start_column, value_column)) => {
            format!("CASE WHEN s.{start_column} = {start} THEN s.{value_column} END")
        }
    }
}

/// What one writer transaction writes to a player's stat.
#[derive(Debug, Default)]
struct Cell {
    value: Option<i64>,
    last_ledger_id: Option<i64>,
    periods: [Option<(i64, i64)>; RUNNING.len()],
}

/// The writes of one transaction, kept until its commit so that each pair
/// is written once, in key order.
#[derive(Debug, Default)]
pub struct PendingValues {
    cells: BTreeMap<(i64, String), Cell>,
}

impl PendingValues {
    pub fn set(&mut self, period: PeriodKey, player_id: i64, stat: &str, value: i64) {
        let cell = self.cell(player_id, stat);
        match RUNNING.iter().position(|&running| running == period.period) {
            None => cell.value = Some(value),
            Some(i) => cell.periods[i] = Some((period.starts_at, value)),
        }
    }

    pub fn set_last_ledger_id(&mut self, player_id: i64, stat: &str, id: i64) {
        self.cell(player_id, stat).last_ledger_id = Some(id);
    }

    fn cell(&mut self, player_id: i64, stat: &str) -> &mut Cell {
        self.cells.entry((player_id, stat.to_owned())).or_default()
    }

    /// Writes every pair: inserted with its all-time value, or updated,
    /// keeping what this transaction did not change.
    pub async fn write(self, conn: &mut SqliteConnection) -> StoreResult<()> {
        let cells: Vec<_> = self.cells.into_iter().collect();
        for chunk in cells.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO player_stats (player_id, stat, value, last_ledger_id, day_start, day_value, \
                 week_start, week_value, month_start, month_value, stream_start, stream_value) ",
            );
            let mut missing = None;
            query.push_values(chunk, |mut row, ((player_id, stat), cell)| {
                if cell.value.is_none() {
                    missing = Some((*player_id, stat.clone()));
                }
                row.push_bind(*player_id).push_bind(stat).push_bind(cell.value).push_bind(cell.last_ledger_id);
                for period in &cell.periods {
                    row.push_bind(period.map(|(start, _)| start)).push_bind(period.map(|(_, value)| value));
                }
            });
            if let Some((player_id, stat)) = missing {
                return Err(StoreError::Corrupt(format!(
                    "a running period's value of player {player_id}'s {stat} without its all-time value"
                )));
            }
            query.push(
                " ON CONFLICT (player_id, stat) DO UPDATE SET value = excluded.value, \
                 last_ledger_id = COALESCE(excluded.last_ledger_id, last_ledger_id)",
            );
            for period in RUNNING {
                let (start, value) = columns(period).expect("a running period has columns");
                query.push(format!(
                    ", {value} = IIF(excluded.{start} IS NULL, {value}, excluded.{value}), \
                     {start} = COALESCE(excluded.{start}, {start})"
                ));
            }
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }
}
