//! The award writer's transaction and the ledger and board readers, on PostgreSQL.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row, Transaction};

use crate::domain::{Period, PeriodKey};
use crate::store::StoreResult;
use crate::store::awards::{CooldownKey, IdempotencyKey, LedgerRow, NewLedgerRow, StatValue, StoredReply, WriteTx};
use crate::store::twitch::{NewViewer, Stream, StreamStart, ViewerRename, ViewerRow};

use super::twitch;

/// Rows per statement: well under PostgreSQL's 65,535 bound parameters.
const CHUNK: usize = 1000;

pub struct PgWriteTx {
    pub tx: Transaction<'static, Postgres>,
}

/// `player_stats` holds all-time values; `period_stats` the running periods.
fn values_table(period: PeriodKey) -> (&'static str, Option<(&'static str, i64)>) {
    match period.period {
        Period::All => ("player_stats", None),
        other => ("period_stats", Some((other.as_str(), period.starts_at))),
    }
}

#[async_trait]
impl WriteTx for PgWriteTx {
    async fn stored_replies(&mut self, keys: &[IdempotencyKey]) -> StoreResult<Vec<StoredReply>> {
        // By `= ANY` on both key columns, not `(owner, key) IN (VALUES …)`: PostgreSQL
        // plans a VALUES list as one row and, once the table has grown since it
        // was analysed, scans the whole table for it. The arrays cross owners
        // with keys, so rows are then kept only for the pairs asked.
        let wanted: HashSet<(i64, &str)> = keys.iter().map(|k| (k.owner, k.key.as_str())).collect();
        let mut found = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let mut owners: Vec<i64> = chunk.iter().map(|k| k.owner).collect();
            owners.sort_unstable();
            owners.dedup();
            let names: Vec<&str> = chunk.iter().map(|k| k.key.as_str()).collect();
            let rows = sqlx::query(
                "SELECT owner, key, request_hash, status, body, created_at FROM idempotency_keys \
                 WHERE owner = ANY($1) AND key = ANY($2)",
            )
            .bind(&owners)
            .bind(&names)
            .fetch_all(&mut *self.tx)
            .await?;
            for row in rows {
                let key = IdempotencyKey { owner: row.try_get("owner")?, key: row.try_get("key")? };
                if !wanted.contains(&(key.owner, key.key.as_str())) {
                    continue;
                }
                found.push(StoredReply {
                    key,
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
        usernames_on(&mut self.tx, ids).await
    }

    async fn players_by_twitch_ids(&mut self, twitch_ids: &[String]) -> StoreResult<Vec<(String, i64, String)>> {
        let mut found = Vec::new();
        for chunk in twitch_ids.chunks(CHUNK) {
            let mut query = QueryBuilder::<Postgres>::new(
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

    async fn stat_values(&mut self, period: PeriodKey, pairs: &[(i64, String)]) -> StoreResult<Vec<StatValue>> {
        let (table, running) = values_table(period);
        // By player id alone, then the asked pairs kept here: `player_id = ANY`
        // is an index condition whatever PostgreSQL's statistics say. The
        // SQLite twin's `(player_id, stat) IN (VALUES …)` is not safe here: a
        // period that began after the last ANALYZE is estimated at one row, so
        // the planner joins it to the VALUES list in a nested loop, every row
        // of the period against every pair (2 s per 1,000 pairs at 40,000 rows;
        // see BENCHMARKS.md).
        let wanted: std::collections::HashSet<(i64, &str)> = pairs.iter().map(|(p, s)| (*p, s.as_str())).collect();
        let mut ids: Vec<i64> = pairs.iter().map(|(player_id, _)| *player_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = match running {
            None => format!("SELECT player_id, stat, value FROM {table} WHERE player_id = ANY($1)"),
            Some(_) => format!(
                "SELECT player_id, stat, value FROM {table} WHERE kind = $2 AND starts_at = $3 AND player_id = ANY($1)"
            ),
        };
        let mut found = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut query = sqlx::query_as::<_, StatValue>(&sql).bind(chunk);
            if let Some((kind, starts_at)) = running {
                query = query.bind(kind).bind(starts_at);
            }
            let rows = query.fetch_all(&mut *self.tx).await?;
            found.extend(rows.into_iter().filter(|(player_id, stat, _)| wanted.contains(&(*player_id, stat.as_str()))));
        }
        Ok(found)
    }

    async fn insert_ledger(&mut self, rows: &[NewLedgerRow]) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let mut query = QueryBuilder::<Postgres>::new(
                "INSERT INTO ledger (player_id, stat, amount, value_after, source, reason, at, twitch_message_id) ",
            );
            query.push_values(chunk, |mut row, award| {
                row.push_bind(award.player_id)
                    .push_bind(&award.stat)
                    .push_bind(award.amount)
                    .push_bind(award.value_after)
                    .push_bind(&award.source)
                    .push_bind(&award.reason)
                    .push_bind(award.at)
                    .push_bind(&award.twitch_message_id);
            });
            query.push(" RETURNING id");
            // One statement assigns ascending ids in VALUES order; RETURNING's order is not promised.
            let mut chunk_ids: Vec<i64> = query.build_query_scalar().fetch_all(&mut *self.tx).await?;
            chunk_ids.sort_unstable();
            ids.extend(chunk_ids);
        }
        Ok(ids)
    }

    async fn write_values(&mut self, period: PeriodKey, values: &[StatValue]) -> StoreResult<()> {
        let (table, running) = values_table(period);
        for chunk in values.chunks(CHUNK) {
            let mut query = match running {
                None => QueryBuilder::<Postgres>::new(format!("INSERT INTO {table} (player_id, stat, value) ")),
                Some(_) => QueryBuilder::new(format!("INSERT INTO {table} (kind, starts_at, player_id, stat, value) ")),
            };
            query.push_values(chunk, |mut row, (player_id, stat, value)| {
                if let Some((kind, starts_at)) = running {
                    row.push_bind(kind).push_bind(starts_at);
                }
                row.push_bind(*player_id).push_bind(stat).push_bind(*value);
            });
            let conflict = if running.is_some() { "kind, starts_at, player_id, stat" } else { "player_id, stat" };
            query.push(format!(" ON CONFLICT ({conflict}) DO UPDATE SET value = excluded.value"));
            query.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn save_replies(&mut self, replies: &[StoredReply]) -> StoreResult<()> {
        for chunk in replies.chunks(CHUNK) {
            let mut query = QueryBuilder::<Postgres>::new(
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

    async fn announce(&mut self, body: &str, at: i64) -> StoreResult<Option<i64>> {
        announce_on(&mut self.tx, body, at).await.map(Some)
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
        crate::store::twitch::start_stream::<sqlx::Postgres>(&mut self.tx, stream_id, started_at).await
    }

    async fn stream_went_offline(&mut self, at: i64) -> StoreResult<bool> {
        crate::store::twitch::stream_went_offline::<sqlx::Postgres>(&mut self.tx, at).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

const LEDGER_COLUMNS: &str =
    "l.id, l.player_id, p.username, l.stat, l.amount, l.value_after, l.source, l.reason, l.at, l.twitch_message_id";

pub async fn ledger_page(
    pool: &PgPool,
    player_id: i64,
    before: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<LedgerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LEDGER_COLUMNS} FROM ledger l LEFT JOIN players p ON p.id = l.player_id \
         WHERE l.player_id = $1 AND l.id < $2 ORDER BY l.id DESC LIMIT $3"
    ))
    .bind(player_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}

pub async fn ledger_tail(pool: &PgPool, after: i64, limit: u32) -> StoreResult<Vec<LedgerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT * FROM (SELECT {LEDGER_COLUMNS} FROM ledger l LEFT JOIN players p ON p.id = l.player_id \
         WHERE l.id > $1 ORDER BY l.id DESC LIMIT $2) AS tail ORDER BY id"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}

pub async fn stat_value(pool: &PgPool, period: PeriodKey, player_id: i64, stat: &str) -> StoreResult<Option<i64>> {
    let value = match values_table(period) {
        (table, None) => {
            sqlx::query_scalar(&format!("SELECT value FROM {table} WHERE player_id = $1 AND stat = $2"))
                .bind(player_id)
                .bind(stat)
                .fetch_optional(pool)
                .await?
        }
        (table, Some((kind, starts_at))) => {
            sqlx::query_scalar(&format!(
                "SELECT value FROM {table} WHERE kind = $1 AND starts_at = $2 AND player_id = $3 AND stat = $4"
            ))
            .bind(kind)
            .bind(starts_at)
            .bind(player_id)
            .bind(stat)
            .fetch_optional(pool)
            .await?
        }
    };
    Ok(value)
}

/// Every stored value of `period`, a row at a time, for rebuilding the boards.
/// Every stored value of `periods`, read in one transaction so that they
/// and the last announcement agree.
pub async fn board_snapshot(
    pool: &PgPool,
    periods: &[PeriodKey],
    each: &mut (dyn for<'s> FnMut(PeriodKey, &'s str, i64, i64) + Send),
) -> StoreResult<i64> {
    let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let last_announcement: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM announcements").fetch_one(&mut *tx).await?;
    for &period in periods {
        let (table, running) = values_table(period);
        let sql = match running {
            None => format!("SELECT stat, player_id, value FROM {table}"),
            Some(_) => format!("SELECT stat, player_id, value FROM {table} WHERE kind = $1 AND starts_at = $2"),
        };
        let mut query = sqlx::query(&sql);
        if let Some((kind, starts_at)) = running {
            query = query.bind(kind).bind(starts_at);
        }
        let mut rows = query.fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            each(period, row.try_get::<&str, _>(0)?, row.try_get(1)?, row.try_get(2)?);
        }
    }
    tx.commit().await?;
    Ok(last_announcement)
}

pub async fn usernames(pool: &PgPool, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    usernames_on(&mut *pool.acquire().await?, ids).await
}

async fn usernames_on(conn: &mut PgConnection, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    let mut names = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut query = QueryBuilder::<Postgres>::new("SELECT id, username FROM players WHERE id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        names.extend(query.build_query_as::<(i64, String)>().fetch_all(&mut *conn).await?);
    }
    Ok(names)
}

pub async fn delete_replies_before(pool: &PgPool, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(pool).await?;
    Ok(done.rows_affected())
}

/// The LISTEN/NOTIFY channel award commits are announced on.
const CHANNEL: &str = "playerbase_awards";

/// Adds an announcement to the transaction on `conn`, which must hold the
/// writers' lock (ids then grow in commit order); returns its id.
pub async fn announce_on(conn: &mut PgConnection, body: &str, at: i64) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar("INSERT INTO announcements (body, at) VALUES ($1, $2) RETURNING id")
        .bind(body)
        .bind(at)
        .fetch_one(&mut *conn)
        .await?;
    // Delivered at commit, and only then.
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(id.to_string()).execute(&mut *conn).await?;
    Ok(id)
}

pub async fn announcements_after(pool: &PgPool, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, body FROM announcements WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?)
}

pub async fn delete_announcements_before(pool: &PgPool, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM announcements WHERE at < $1").bind(before).execute(pool).await?;
    Ok(done.rows_affected())
}

/// The announcements connection's reconnect back-off: first wait, and the
/// longest (the follower's one-second poll covers the gap meanwhile).
const RECONNECT_FIRST: std::time::Duration = std::time::Duration::from_millis(250);
const RECONNECT_MAX: std::time::Duration = std::time::Duration::from_secs(8);

/// Listens on a connection of its own, outside the store's pool (which
/// could not close while the listener held one of its connections); each
/// notification becomes one signal (signals not yet taken are merged: the
/// reader catches up from the table).
pub async fn listen_announcements(pool: &PgPool) -> StoreResult<tokio::sync::mpsc::Receiver<()>> {
    let own =
        sqlx::postgres::PgPoolOptions::new().max_connections(1).connect_lazy_with((*pool.connect_options()).clone());
    let mut listener = sqlx::postgres::PgListener::connect_with(&own).await?;
    listener.listen(CHANNEL).await?;
    let (signal, signals) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        let mut back_off = RECONNECT_FIRST;
        loop {
            match listener.recv().await {
                Ok(_) => back_off = RECONNECT_FIRST,
                Err(err) => {
                    // recv reconnects (and listens again) on the next call; what was
                    // missed meanwhile is read from the table by the follower's poll.
                    tracing::warn!(error = %err, retry_in = ?back_off, "lost the announcements connection; reconnecting");
                    tokio::time::sleep(back_off).await;
                    back_off = (back_off * 2).min(RECONNECT_MAX);
                }
            }
            match signal.try_send(()) {
                Ok(()) | Err(tokio::sync::mpsc::error::TrySendError::Full(())) => {}
                Err(tokio::sync::mpsc::error::TrySendError::Closed(())) => return,
            }
        }
    });
    Ok(signals)
}
