//! Stat values on SQLite: one `player_stats` row per player and stat holds
//! the all-time value, each running period's value beside the period's
//! start, and the newest ledger row of that player and stat. An award then
//! writes one row, one page, instead of one per period (migration 0011).

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use crate::domain::{Period, PeriodKey};
use crate::store::{StoreError, StoreResult};

/// Rows per statement: 12 bound values each, under SQLite's 32,766.
const CHUNK: usize = 1000;

/// Every column of the running periods, in the order of [`RUNNING`].
const PERIOD_COLUMNS: &str =
    "day_start, day_value, week_start, week_value, month_start, month_value, stream_start, stream_value";

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

/// A player's stat as stored, and the player's newest ledger row.
#[derive(Debug, Clone)]
pub struct Stored {
    pub value: i64,
    periods: [Option<(i64, i64)>; RUNNING.len()],
    pub player_head: Option<i64>,
}

impl Stored {
    /// The value in `period`; none if the stored one is of an earlier period.
    pub fn value_in(&self, period: PeriodKey) -> Option<i64> {
        match RUNNING.iter().position(|&running| running == period.period) {
            None => Some(self.value),
            Some(i) => self.periods[i].filter(|&(start, _)| start == period.starts_at).map(|(_, value)| value),
        }
    }
}

/// The stored rows of `pairs` (sorted, distinct), each with its player's
/// newest ledger row. Only the pairs' rows cross from SQLite's worker
/// thread, one at a time: reading a player's every stat would cost ten.
pub async fn read(conn: &mut SqliteConnection, pairs: &[(i64, String)]) -> StoreResult<Vec<((i64, String), Stored)>> {
    let mut found = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT player_id, stat, value, {PERIOD_COLUMNS}, player_head FROM \
             (SELECT s.*, MAX(s.last_ledger_id) OVER (PARTITION BY s.player_id) AS player_head \
              FROM player_stats s WHERE s.player_id IN ("
        ));
        let mut ids = query.separated(", ");
        let mut last = None;
        for (player_id, _) in chunk {
            if last != Some(*player_id) {
                ids.push_bind(*player_id);
                last = Some(*player_id);
            }
        }
        query.push(")) WHERE (player_id, stat) IN (VALUES ");
        let mut tuples = query.separated(", ");
        for (player_id, stat) in chunk {
            tuples.push("(").push_bind_unseparated(*player_id).push_unseparated(", ");
            tuples.push_bind_unseparated(stat).push_unseparated(")");
        }
        query.push(")");
        for row in query.build().fetch_all(&mut *conn).await? {
            let mut periods = [None; RUNNING.len()];
            for (i, period) in periods.iter_mut().enumerate() {
                let start: Option<i64> = row.try_get(3 + 2 * i)?;
                let value: Option<i64> = row.try_get(4 + 2 * i)?;
                *period = start.zip(value);
            }
            let stored = Stored { value: row.try_get(2)?, periods, player_head: row.try_get(3 + 2 * RUNNING.len())? };
            found.push(((row.try_get(0)?, row.try_get(1)?), stored));
        }
    }
    Ok(found)
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
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO player_stats (player_id, stat, value, last_ledger_id, {PERIOD_COLUMNS}) "
            ));
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
