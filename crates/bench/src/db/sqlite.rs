//! Straight to the SQLite file, with rusqlite: seeding players, SQLite's
//! own rate for the award rows (the baseline of the award routes), and the
//! totals the award runs are checked against.

use std::path::Path;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::SmallRng;
use rusqlite::{Connection, OpenFlags, params};

use super::{SEED_VALUE_MAX, Totals, unix_now};
use crate::STATS;
use crate::audience::Audience;
use crate::load::Credit;

/// Inserts players `1..=count`, named `p{id}`, without password, each with a
/// random value for each of the ten stats. The schema must exist already.
pub fn seed_players(path: &Path, count: u64, rng: &mut SmallRng) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")?;
    let now = unix_now();
    let tx = conn.transaction()?;
    {
        let mut player = tx.prepare(
            "INSERT INTO players (id, username, username_key, password_hash, created_at) VALUES (?1, ?2, ?2, NULL, ?3)",
        )?;
        let mut stat = tx.prepare("INSERT INTO player_stats (player_id, stat, value) VALUES (?1, ?2, ?3)")?;
        for id in 1..=count as i64 {
            player.execute(params![id, format!("p{id}"), now])?;
            for key in STATS {
                stat.execute(params![id, key, rng.gen_range(0..SEED_VALUE_MAX)])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(started.elapsed())
}

/// Reads every all-time value the way the server's start-up does, and
/// returns the values of `stat` by player id (index 0 unused).
pub fn read_all_values(path: &Path, stat: &str) -> anyhow::Result<(Duration, u64, Vec<i64>)> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let started = Instant::now();
    let mut rows = 0u64;
    let mut values = Vec::new();
    let mut query = conn.prepare("SELECT stat, player_id, value FROM player_stats")?;
    let mut cursor = query.query([])?;
    while let Some(row) = cursor.next()? {
        rows += 1;
        let key = row.get_ref(0)?.as_str()?;
        if key == stat {
            let id = row.get::<_, i64>(1)? as usize;
            if values.len() <= id {
                values.resize(id + 1, 0);
            }
            values[id] = row.get(2)?;
        }
    }
    Ok((started.elapsed(), rows, values))
}

/// The award rows, written straight: per award what the server's writer
/// writes — the player's newest ledger row read from its `player_stats`
/// rows, the ledger row appended with the next id and a link to that one,
/// and the one `player_stats` upsert that moves the all-time value and the
/// running day, week and month values (its `RETURNING` gives `value_after`)
/// — as prepared statements, `per_tx` awards per transaction, WAL with
/// `synchronous = NORMAL` and foreign keys on like the server; SQLite's
/// default page cache (2 MiB, as the server's connections) unless `cache_mib`.
pub fn direct_awards(
    path: &Path,
    audience: &Audience,
    awards: u64,
    per_tx: u64,
    cache_mib: Option<u64>,
    rng: &mut SmallRng,
) -> anyhow::Result<(Duration, Credit)> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    if let Some(mib) = cache_mib {
        conn.execute_batch(&format!("PRAGMA cache_size = -{};", mib * 1024))?;
    }
    let now = unix_now();
    let start = |period| playerbase::domain::periods::current_key(period, now, None).map(|key| key.starts_at);
    use playerbase::domain::Period;
    let (day, week, month) = (start(Period::Day), start(Period::Week), start(Period::Month));
    let mut credit = Credit::default();
    let started = Instant::now();
    let mut done = 0;
    while done < awards {
        let tx = conn.transaction()?;
        {
            let first_id: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'ledger'",
                [],
                |row| row.get(0),
            )?;
            let mut head = tx.prepare_cached("SELECT MAX(last_ledger_id) FROM player_stats WHERE player_id = ?1")?;
            let mut values = tx.prepare_cached(
                "INSERT INTO player_stats (player_id, stat, value, last_ledger_id, day_start, day_value, \
                 week_start, week_value, month_start, month_value) VALUES (?1, ?2, ?3, ?4, ?5, ?3, ?6, ?3, ?7, ?3) \
                 ON CONFLICT (player_id, stat) DO UPDATE SET value = value + excluded.value, \
                 last_ledger_id = excluded.last_ledger_id, \
                 day_value = IIF(day_start = excluded.day_start, day_value + excluded.value, excluded.value), \
                 day_start = excluded.day_start, \
                 week_value = IIF(week_start = excluded.week_start, week_value + excluded.value, excluded.value), \
                 week_start = excluded.week_start, \
                 month_value = IIF(month_start = excluded.month_start, month_value + excluded.value, excluded.value), \
                 month_start = excluded.month_start \
                 RETURNING value",
            )?;
            let mut ledger = tx.prepare_cached(
                "INSERT INTO ledger (id, player_id, stat, amount, value_after, source, reason, at, prev_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'api:direct', NULL, ?6, ?7)",
            )?;
            let count = per_tx.min(awards - done);
            for id in first_id..first_id + count as i64 {
                let player = audience.pick(rng);
                let s = rng.gen_range(0..STATS.len());
                let amount = rng.gen_range(1..=10i64);
                let prev: Option<i64> = head.query_row(params![player], |row| row.get(0))?;
                let after: i64 =
                    values.query_row(params![player, STATS[s], amount, id, day, week, month], |row| row.get(0))?;
                ledger.execute(params![id, player, STATS[s], amount, after, now, prev])?;
                credit.awards += 1;
                credit.per_stat[s] += amount;
            }
            done += count;
        }
        tx.commit()?;
    }
    Ok((started.elapsed(), credit))
}

pub fn totals(path: &Path) -> anyhow::Result<Totals> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let per_stat = |sql: &str| -> anyhow::Result<[i64; STATS.len()]> {
        let mut out = [0; STATS.len()];
        let mut query = conn.prepare(sql)?;
        let mut rows = query.query([])?;
        while let Some(row) = rows.next()? {
            let stat: String = row.get(0)?;
            if let Some(i) = STATS.iter().position(|s| *s == stat) {
                out[i] = row.get(1)?;
            }
        }
        Ok(out)
    };
    Ok(Totals {
        all_time: per_stat("SELECT stat, SUM(value) FROM player_stats GROUP BY stat")?,
        day: per_stat("SELECT stat, SUM(value) FROM period_stats WHERE kind = 'day' GROUP BY stat")?,
        week: per_stat("SELECT stat, SUM(value) FROM period_stats WHERE kind = 'week' GROUP BY stat")?,
        month: per_stat("SELECT stat, SUM(value) FROM period_stats WHERE kind = 'month' GROUP BY stat")?,
        ledger_rows: conn.query_row("SELECT COUNT(*) FROM ledger", [], |row| row.get(0))?,
        ledger_amounts: per_stat("SELECT stat, SUM(amount) FROM ledger GROUP BY stat")?,
    })
}
