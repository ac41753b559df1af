//! The award writer's transaction and the ledger and board readers, on SQLite.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use rusqlite::OptionalExtension;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::domain::{FastMap, PeriodKey};
use crate::store::StoreResult;
use crate::store::awards::{CooldownKey, IdempotencyKey, NewLedgerRow, StatValue, StoredReply, WriteTx};
use crate::store::twitch::{NewViewer, Stream, StreamStart, ViewerRename, ViewerRow};

use super::values::{self, PendingValues, Stored};
use super::{direct, ledger, twitch};

/// Rows per statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 1000;

pub struct SqliteWriteTx {
    tx: Transaction<'static, Sqlite>,
    /// The newest ledger row of each player whose values were read, or
    /// whose head was looked up; moved on as rows are appended.
    heads: FastMap<i64, i64>,
    heads_known: HashSet<i64>,
    /// The pairs read so far, with every period's value: one read serves all periods.
    stored: FastMap<(i64, String), Option<Stored>>,
    values: PendingValues,
}

impl SqliteWriteTx {
    pub fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self {
            tx,
            heads: FastMap::default(),
            heads_known: HashSet::new(),
            stored: FastMap::default(),
            values: PendingValues::default(),
        }
    }
}

#[async_trait]
impl WriteTx for SqliteWriteTx {
    async fn stored_replies(&mut self, keys: &[IdempotencyKey]) -> StoreResult<Vec<StoredReply>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT owner, key, request_hash, status, body, created_at FROM idempotency_keys WHERE (owner, key) IN (VALUES ",
            );
            let mut tuples = query.separated(", ");
            for key in chunk {
                tuples.push("(").push_bind_unseparated(key.owner).push_unseparated(", ");
                tuples.push_bind_unseparated(&key.key).push_unseparated(")");
            }
            query.push(")");
            let rows = query.build().fetch_all(&mut *self.tx).await?;
            for row in rows {
                found.push(StoredReply {
                    key: IdempotencyKey { owner: row.try_get("owner")?, key: row.try_get("key")? },
                    request_hash: row.try_get("request_hash")?,
                    status: row.try_get::<i64, _>("status")? as u16,
                    body: row.try_get("body")?,
                    created_at: row.try_get("created_at")?,
                });
            }
        }
        Ok(found)
    }

    async fn players_by_ids(&mut self, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
        direct::with_handle(&mut self.tx, |conn| {
            let mut username_of = conn.prepare("SELECT username FROM players WHERE id = ?1")?;
            let mut found = HashMap::with_capacity(ids.len());
            for &id in ids {
                if let Some(username) = username_of.query_row([id], |row| row.get(0)).optional()? {
                    found.insert(id, username);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn players_by_twitch_ids(&mut self, twitch_ids: &[String]) -> StoreResult<Vec<(String, i64, String)>> {
        let mut found = Vec::new();
        for chunk in twitch_ids.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT twitch_user_id, id, username FROM players WHERE twitch_user_id IN (",
            );
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id);
            }
            query.push(")");
            found.extend(query.build_query_as::<(String, i64, String)>().fetch_all(&mut *self.tx).await?);
        }
        Ok(found)
    }

    /// The first call reads the pairs' rows with every period's value;
    /// the running periods' calls that follow are answered from those.
    async fn stat_values(&mut self, period: PeriodKey, pairs: &[(i64, String)]) -> StoreResult<Vec<StatValue>> {
        let mut unread: Vec<(i64, String)> =
            pairs.iter().filter(|pair| !self.stored.contains_key(*pair)).cloned().collect();
        unread.sort_unstable();
        unread.dedup();
        if !unread.is_empty() {
            let found = direct::with_handle(&mut self.tx, |conn| values::read(conn, &unread)).await?;
            for pair in unread {
                self.stored.insert(pair, None);
            }
            for (pair, stored) in found {
                // A player with no row among the pairs read has its newest row looked up when it gets one.
                if let Some(head) = stored.player_head {
                    self.heads.insert(pair.0, head);
                }
                self.heads_known.insert(pair.0);
                self.stored.insert(pair, Some(stored));
            }
        }
        Ok(pairs
            .iter()
            .filter_map(|pair| {
                let value = self.stored.get(pair)?.as_ref()?.value_in(period)?;
                Some((pair.0, pair.1.clone(), value))
            })
            .collect())
    }

    async fn insert_ledger(&mut self, rows: &[NewLedgerRow]) -> StoreResult<Vec<i64>> {
        let mut unknown: Vec<i64> =
            rows.iter().map(|row| row.player_id).filter(|id| !self.heads_known.contains(id)).collect();
        unknown.sort_unstable();
        unknown.dedup();
        let heads = &mut self.heads;
        let ids = direct::with_handle(&mut self.tx, |conn| {
            heads.extend(ledger::heads(conn, &unknown)?);
            ledger::append(conn, rows, heads)
        })
        .await?;
        self.heads_known.extend(unknown);
        for (row, &id) in rows.iter().zip(&ids) {
            self.values.set_last_ledger_id(row.player_id, &row.stat, id);
        }
        Ok(ids)
    }

    /// Kept until the commit, which writes each pair's row once.
    async fn write_values(&mut self, period: PeriodKey, values: &[StatValue]) -> StoreResult<()> {
        for (player_id, stat, value) in values {
            self.values.set(period, *player_id, stat, *value);
        }
        Ok(())
    }

    async fn save_replies(&mut self, replies: &[StoredReply]) -> StoreResult<()> {
        for chunk in replies.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO idempotency_keys (owner, key, request_hash, status, body, created_at) ",
            );
            query.push_values(chunk, |mut row, reply| {
                row.push_bind(reply.key.owner)
                    .push_bind(&reply.key.key)
                    .push_bind(&reply.request_hash)
                    .push_bind(i64::from(reply.status))
                    .push_bind(&reply.body)
                    .push_bind(reply.created_at);
            });
            query.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// One server per SQLite database: there is nobody to tell.
    async fn announce(&mut self, _body: &str, _at: i64) -> StoreResult<Option<i64>> {
        Ok(None)
    }

    async fn applied_messages(&mut self, message_ids: &[String]) -> StoreResult<HashSet<String>> {
        twitch::applied_messages(&mut self.tx, message_ids).await
    }

    async fn mark_applied(&mut self, message_ids: &[String], at: i64) -> StoreResult<()> {
        twitch::mark_applied(&mut self.tx, message_ids, at).await
    }

    async fn viewers(&mut self, twitch_ids: &[String]) -> StoreResult<Vec<ViewerRow>> {
        twitch::viewers(&mut self.tx, twitch_ids).await
    }

    async fn taken_usernames(&mut self, keys: &[String]) -> StoreResult<HashSet<String>> {
        twitch::taken_usernames(&mut self.tx, keys).await
    }

    async fn insert_viewers(&mut self, viewers: &[NewViewer]) -> StoreResult<()> {
        twitch::insert_viewers(&mut self.tx, viewers).await
    }

    async fn rename_viewers(&mut self, renames: &[ViewerRename]) -> StoreResult<()> {
        twitch::rename_viewers(&mut self.tx, renames).await
    }

    async fn cooldowns(&mut self, keys: &[CooldownKey]) -> StoreResult<HashMap<CooldownKey, i64>> {
        twitch::cooldowns(&mut self.tx, keys).await
    }

    async fn write_cooldowns(&mut self, values: &[(CooldownKey, i64)]) -> StoreResult<()> {
        twitch::write_cooldowns(&mut self.tx, values).await
    }

    async fn stream(&mut self) -> StoreResult<Option<Stream>> {
        twitch::stream_on(&mut self.tx).await
    }

    async fn start_stream(&mut self, stream_id: &str, started_at: i64) -> StoreResult<StreamStart> {
        crate::store::twitch::start_stream::<sqlx::Sqlite>(&mut self.tx, stream_id, started_at).await
    }

    async fn stream_went_offline(&mut self, at: i64) -> StoreResult<bool> {
        crate::store::twitch::stream_went_offline::<sqlx::Sqlite>(&mut self.tx, at).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let Self { mut tx, values, .. } = *self;
        direct::with_handle(&mut tx, |conn| Ok(values.write(conn))).await??;
        tx.commit().await?;
        Ok(())
    }
}

pub async fn stat_value(pool: &SqlitePool, period: PeriodKey, player_id: i64, stat: &str) -> StoreResult<Option<i64>> {
    let value = values::value_in(period.period, &period.starts_at.to_string());
    let found: Option<Option<i64>> =
        sqlx::query_scalar(&format!("SELECT {value} FROM player_stats s WHERE s.player_id = $1 AND s.stat = $2"))
            .bind(player_id)
            .bind(stat)
            .fetch_optional(pool)
            .await?;
    Ok(found.flatten())
}

/// Every stored value of `periods`, read in one pass over `player_stats`
/// (a row holds every period's value), straight from SQLite: ten million
/// rows through sqlx's worker channel took most of a minute's start-up.
pub async fn board_snapshot(
    pool: &SqlitePool,
    periods: &[PeriodKey],
    each: &mut (dyn for<'s> FnMut(PeriodKey, &'s str, i64, i64) + Send),
) -> StoreResult<i64> {
    let columns: Vec<String> = periods
        .iter()
        .enumerate()
        .map(|(i, period)| format!("{} AS v{i}", values::value_in(period.period, &period.starts_at.to_string())))
        .collect();
    let sql = format!("SELECT s.stat, s.player_id, {} FROM player_stats s", columns.join(", "));
    direct::with_handle(&mut *pool.acquire().await?, |conn| {
        let mut statement = conn.prepare(&sql)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let stat = direct::text(row, 0)?;
            let player_id: i64 = row.get(1)?;
            for (i, &period) in periods.iter().enumerate() {
                if let Some(value) = row.get::<_, Option<i64>>(2 + i)? {
                    each(period, stat, player_id, value);
                }
            }
        }
        Ok(())
    })
    .await?;
    // One server per SQLite database: nobody announces anything.
    Ok(0)
}

pub async fn usernames(pool: &SqlitePool, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    usernames_on(&mut *pool.acquire().await?, ids).await
}

async fn usernames_on(conn: &mut SqliteConnection, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    let mut names = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT id, username FROM players WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        names.extend(query.build_query_as::<(i64, String)>().fetch_all(&mut *conn).await?);
    }
    Ok(names)
}

pub async fn delete_replies_before(pool: &SqlitePool, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(pool).await?;
    Ok(done.rows_affected())
}
