//! EventSub messages, revocations, streams, viewers and chat cooldowns, on SQLite.
//! The PostgreSQL twin is `store/postgres/twitch.rs`: keep the SQL alike.

use std::collections::{HashMap, HashSet};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::store::StoreResult;
use crate::store::awards::CooldownKey;
use crate::store::twitch::{
    NewEventSubMessage, NewViewer, PendingMessage, Revocation, Stream, ViewerRename, ViewerRow,
};

/// Rows per statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 1000;

/// Stores the messages in one transaction; returns the ids that were new.
pub async fn save_messages(pool: &SqlitePool, messages: &[NewEventSubMessage]) -> StoreResult<HashSet<String>> {
    let mut tx = pool.begin().await?;
    let mut new = HashSet::with_capacity(messages.len());
    for chunk in messages.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO eventsub_messages (message_id, subscription_type, body, sent_at_ms, received_at) ",
        );
        query.push_values(chunk, |mut row, m| {
            row.push_bind(&m.message_id)
                .push_bind(&m.subscription_type)
                .push_bind(&m.body)
                .push_bind(m.sent_at_ms)
                .push_bind(m.received_at);
        });
        query.push(" ON CONFLICT (message_id) DO NOTHING RETURNING message_id");
        new.extend(query.build_query_scalar::<String>().fetch_all(&mut *tx).await?);
    }
    tx.commit().await?;
    Ok(new)
}

pub async fn pending_messages(pool: &SqlitePool, limit: u32) -> StoreResult<Vec<PendingMessage>> {
    Ok(sqlx::query_as(
        "SELECT id, message_id, subscription_type, body, sent_at_ms FROM eventsub_messages \
         WHERE applied_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}

pub async fn delete_messages_before(pool: &SqlitePool, before: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM eventsub_messages WHERE applied_at IS NOT NULL AND received_at < $1")
        .bind(before)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn record_revocation(pool: &SqlitePool, revocation: &Revocation) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO eventsub_revocations (subscription_id, subscription_type, status, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&revocation.subscription_id)
    .bind(&revocation.subscription_type)
    .bind(&revocation.status)
    .bind(revocation.at)
    .execute(pool)
    .await?;
    Ok(())
}

const LAST_STREAM: &str = "SELECT started_at, ended_at FROM twitch_streams ORDER BY id DESC LIMIT 1";

pub async fn stream(pool: &SqlitePool) -> StoreResult<Option<Stream>> {
    Ok(sqlx::query_as(LAST_STREAM).fetch_optional(pool).await?)
}

pub async fn stream_on(conn: &mut SqliteConnection) -> StoreResult<Option<Stream>> {
    Ok(sqlx::query_as(LAST_STREAM).fetch_optional(conn).await?)
}

pub async fn applied_messages(conn: &mut SqliteConnection, ids: &[String]) -> StoreResult<HashSet<String>> {
    let mut applied = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT message_id FROM eventsub_messages WHERE applied_at IS NOT NULL AND message_id IN (",
        );
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        query.push(")");
        applied.extend(query.build_query_scalar::<String>().fetch_all(&mut *conn).await?);
    }
    Ok(applied)
}

/// Marks the messages applied and drops their bodies, which name viewers.
pub async fn mark_applied(conn: &mut SqliteConnection, ids: &[String], at: i64) -> StoreResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new("UPDATE eventsub_messages SET applied_at = ");
        query.push_bind(at).push(", body = NULL WHERE message_id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        query.push(")");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn viewers(conn: &mut SqliteConnection, twitch_ids: &[String]) -> StoreResult<Vec<ViewerRow>> {
    let mut found = Vec::new();
    for chunk in twitch_ids.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT twitch_user_id, id, username, twitch_login, username_from_twitch FROM players \
             WHERE twitch_user_id IN (",
        );
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        query.push(")");
        found.extend(query.build_query_as::<ViewerRow>().fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

pub async fn taken_usernames(conn: &mut SqliteConnection, keys: &[String]) -> StoreResult<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new("SELECT username_key FROM players WHERE username_key IN (");
        let mut list = query.separated(", ");
        for key in chunk {
            list.push_bind(key);
        }
        query.push(")");
        taken.extend(query.build_query_scalar::<String>().fetch_all(&mut *conn).await?);
    }
    Ok(taken)
}

/// A viewer whose username or Twitch id is taken by then is skipped, not an error.
pub async fn insert_viewers(conn: &mut SqliteConnection, viewers: &[NewViewer]) -> StoreResult<()> {
    for chunk in viewers.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO players (username, username_key, twitch_user_id, twitch_login, username_from_twitch, created_at) ",
        );
        query.push_values(chunk, |mut row, v| {
            row.push_bind(&v.username)
                .push_bind(&v.username_key)
                .push_bind(&v.twitch_user_id)
                .push_bind(&v.twitch_login)
                .push_bind(1_i64)
                .push_bind(v.created_at);
        });
        query.push(" ON CONFLICT DO NOTHING");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn rename_viewers(conn: &mut SqliteConnection, renames: &[ViewerRename]) -> StoreResult<()> {
    for rename in renames {
        match &rename.username {
            Some((username, key)) => {
                sqlx::query("UPDATE players SET twitch_login = $1, username = $2, username_key = $3 WHERE id = $4")
                    .bind(&rename.twitch_login)
                    .bind(username)
                    .bind(key)
                    .bind(rename.player_id)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                sqlx::query("UPDATE players SET twitch_login = $1 WHERE id = $2")
                    .bind(&rename.twitch_login)
                    .bind(rename.player_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

pub async fn cooldowns(conn: &mut SqliteConnection, keys: &[CooldownKey]) -> StoreResult<HashMap<CooldownKey, i64>> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT twitch_user_id, rule, last_at_ms FROM twitch_cooldowns WHERE (twitch_user_id, rule) IN (VALUES ",
        );
        let mut tuples = query.separated(", ");
        for (user, rule) in chunk {
            tuples.push("(").push_bind_unseparated(user).push_unseparated(", ");
            tuples.push_bind_unseparated(rule).push_unseparated(")");
        }
        query.push(")");
        for (user, rule, last_at) in query.build_query_as::<(String, String, i64)>().fetch_all(&mut *conn).await? {
            found.insert((user, rule), last_at);
        }
    }
    Ok(found)
}

pub async fn write_cooldowns(conn: &mut SqliteConnection, values: &[(CooldownKey, i64)]) -> StoreResult<()> {
    for chunk in values.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new("INSERT INTO twitch_cooldowns (twitch_user_id, rule, last_at_ms) ");
        query.push_values(chunk, |mut row, ((user, rule), last_at)| {
            row.push_bind(user).push_bind(rule).push_bind(*last_at);
        });
        query.push(" ON CONFLICT (twitch_user_id, rule) DO UPDATE SET last_at_ms = excluded.last_at_ms");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}
