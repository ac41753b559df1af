//! The award ledger on SQLite. Rows are appended in id order and each points
//! at the same player's previous row (`prev_id`); a player's newest row is
//! the largest `last_ledger_id` of its `player_stats` rows. An index by
//! player would cost a random page per award (migration 0011).

use sqlx::{SqliteConnection, SqlitePool};

use super::{direct, values};
use crate::domain::FastMap;
use crate::store::StoreResult;
use crate::store::awards::{LedgerRow, NewLedgerRow};

const COLUMNS: &str =
    "l.id, l.player_id, p.username, l.stat, l.amount, l.value_after, l.source, l.reason, l.at, l.twitch_message_id";

/// The newest ledger row of each of `player_ids` that has one.
pub fn heads(conn: &rusqlite::Connection, player_ids: &[i64]) -> rusqlite::Result<FastMap<i64, i64>> {
    let mut head_of = conn.prepare(values::HEAD_OF_PLAYER)?;
    let mut heads = FastMap::with_capacity_and_hasher(player_ids.len(), Default::default());
    for &player_id in player_ids {
        if let Some(head) = head_of.query_row([player_id], |row| row.get::<_, Option<i64>>(0))? {
            heads.insert(player_id, head);
        }
    }
    Ok(heads)
}

async fn head_of(conn: &mut SqliteConnection, player_id: i64) -> StoreResult<Option<i64>> {
    Ok(direct::with_handle(conn, |db| heads(db, &[player_id])).await?.remove(&player_id))
}

/// Appends `rows` with the ids following the last one ever handed out,
/// each pointing at its player's previous row; `heads` holds every
/// player's newest row and is moved on to the new ones. Returns the ids.
///
/// The ids are chosen here, not by SQLite, so that a row can point at one
/// of the same group: the writer's transaction holds SQLite's write lock,
/// so nobody takes them in between.
pub fn append(
    conn: &rusqlite::Connection,
    rows: &[NewLedgerRow],
    heads: &mut FastMap<i64, i64>,
) -> rusqlite::Result<Vec<i64>> {
    let last: i64 =
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'ledger'", [], |row| {
            row.get(0)
        })?;
    let mut insert = conn.prepare(
        "INSERT INTO ledger (id, player_id, stat, amount, value_after, source, reason, at, twitch_message_id, prev_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut ids = Vec::with_capacity(rows.len());
    for (id, row) in (last + 1..).zip(rows) {
        let prev_id = heads.insert(row.player_id, id);
        insert.execute(rusqlite::params![
            id,
            row.player_id,
            row.stat,
            row.amount,
            row.value_after,
            row.source,
            row.reason,
            row.at,
            row.twitch_message_id,
            prev_id,
        ])?;
        ids.push(id);
    }
    Ok(ids)
}

/// A player's rows, newest first, below `before`.
pub async fn page(pool: &SqlitePool, player_id: i64, before: Option<i64>, limit: u32) -> StoreResult<Vec<LedgerRow>> {
    let mut conn = pool.acquire().await?;
    let Some(start) = start_below(&mut conn, player_id, before).await? else { return Ok(Vec::new()) };
    Ok(sqlx::query_as(&format!(
        "WITH RECURSIVE chain (id) AS ( \
             SELECT $1 \
             UNION ALL SELECT l.prev_id FROM ledger l JOIN chain c ON l.id = c.id WHERE l.prev_id IS NOT NULL \
             LIMIT $2) \
         SELECT {COLUMNS} FROM chain c JOIN ledger l ON l.id = c.id LEFT JOIN players p ON p.id = l.player_id \
         ORDER BY l.id DESC"
    ))
    .bind(start)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The player's newest row below `before`: the previous one of a row of the
/// player's (the `next` of a page), else found by walking from the newest.
async fn start_below(conn: &mut SqliteConnection, player_id: i64, before: Option<i64>) -> StoreResult<Option<i64>> {
    let Some(head) = head_of(conn, player_id).await? else { return Ok(None) };
    let Some(before) = before else { return Ok(Some(head)) };
    let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as("SELECT player_id, prev_id FROM ledger WHERE id = $1")
        .bind(before)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((Some(owner), prev)) = row
        && owner == player_id
    {
        return Ok(prev);
    }
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE chain (id) AS ( \
             SELECT $1 \
             UNION ALL SELECT l.prev_id FROM ledger l JOIN chain c ON l.id = c.id \
             WHERE c.id >= $2 AND l.prev_id IS NOT NULL) \
         SELECT id FROM chain WHERE id < $2",
    )
    .bind(head)
    .bind(before)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The newest `limit` rows after `after`, oldest first, for replaying live events.
pub async fn tail(pool: &SqlitePool, after: i64, limit: u32) -> StoreResult<Vec<LedgerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM ledger l LEFT JOIN players p ON p.id = l.player_id \
         WHERE l.id > $1 ORDER BY l.id DESC LIMIT $2) AS tail ORDER BY id"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The amounts stay, the person goes: the player's rows no longer name it.
/// Run before the player's `player_stats` rows, which lead to its newest row, go.
pub async fn forget_player(conn: &mut SqliteConnection, player_id: i64) -> StoreResult<()> {
    let Some(head) = head_of(conn, player_id).await? else { return Ok(()) };
    sqlx::query(
        "WITH RECURSIVE chain (id) AS ( \
             SELECT $1 \
             UNION ALL SELECT l.prev_id FROM ledger l JOIN chain c ON l.id = c.id WHERE l.prev_id IS NOT NULL) \
         UPDATE ledger SET player_id = NULL WHERE id IN (SELECT id FROM chain)",
    )
    .bind(head)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
