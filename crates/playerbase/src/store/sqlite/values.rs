//! Stat values on SQLite: one `player_stats` row per player and stat holds
//! the all-time value, each running period's value beside the period's
//! start, and the newest ledger row of that player and stat. An award then
//! writes one row, one page, instead of one per period (migration 0011).

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use crate::domain::{Period, PeriodKey};
use crate::store::{StoreError, StoreResult};

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

/// Every running period's start and value columns, in the order of [`RUNNING`].
fn period_columns() -> String {
    let pairs = RUNNING.map(|period| {
        let (start, value) = columns(period).expect("a running period has columns");
        format!("{start}, {value}")
    });
    pairs.join(", ")
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

/// The stored rows of `pairs`, each with its player's newest ledger row.
pub fn read(conn: &rusqlite::Connection, pairs: &[(i64, String)]) -> rusqlite::Result<Vec<((i64, String), Stored)>> {
    let mut row_of = conn
        .prepare(&format!("SELECT value, {} FROM player_stats WHERE player_id = ?1 AND stat = ?2", period_columns()))?;
    let mut head_of = conn.prepare(HEAD_OF_PLAYER)?;
    let mut found = Vec::with_capacity(pairs.len());
    for (player_id, stat) in pairs {
        let stored = row_of
            .query_row(rusqlite::params![player_id, stat], |row| {
                let mut periods = [None; RUNNING.len()];
                for (i, period) in periods.iter_mut().enumerate() {
                    let start: Option<i64> = row.get(1 + 2 * i)?;
                    let value: Option<i64> = row.get(2 + 2 * i)?;
                    *period = start.zip(value);
                }
                Ok(Stored { value: row.get(0)?, periods, player_head: None })
            })
            .optional()?;
        if let Some(mut stored) = stored {
            stored.player_head = head_of.query_row([player_id], |row| row.get(0))?;
            found.push(((*player_id, stat.clone()), stored));
        }
    }
    Ok(found)
}

/// A player's newest ledger row: the largest of its stats'.
pub const HEAD_OF_PLAYER: &str = "SELECT MAX(last_ledger_id) FROM player_stats WHERE player_id = ?1";

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
    pub fn write(self, conn: &rusqlite::Connection) -> StoreResult<()> {
        let mut sql = format!(
            "INSERT INTO player_stats (player_id, stat, value, last_ledger_id, {}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT (player_id, stat) DO UPDATE SET value = excluded.value, \
             last_ledger_id = COALESCE(excluded.last_ledger_id, last_ledger_id)",
            period_columns()
        );
        for period in RUNNING {
            let (start, value) = columns(period).expect("a running period has columns");
            sql.push_str(&format!(
                ", {value} = IIF(excluded.{start} IS NULL, {value}, excluded.{value}), \
                 {start} = COALESCE(excluded.{start}, {start})"
            ));
        }
        let mut upsert = conn.prepare(&sql)?;
        for ((player_id, stat), cell) in self.cells {
            let Some(value) = cell.value else {
                return Err(StoreError::Corrupt(format!(
                    "a running period's value of player {player_id}'s {stat} without its all-time value"
                )));
            };
            let [day, week, month, stream] = cell.periods;
            upsert.execute(rusqlite::params![
                player_id,
                stat,
                value,
                cell.last_ledger_id,
                day.map(|(start, _)| start),
                day.map(|(_, value)| value),
                week.map(|(start, _)| start),
                week.map(|(_, value)| value),
                month.map(|(start, _)| start),
                month.map(|(_, value)| value),
                stream.map(|(start, _)| start),
                stream.map(|(_, value)| value),
            ])?;
        }
        Ok(())
    }
}
