use std::collections::HashMap;

use sqlx::PgPool;

use crate::domain::{TwitchUserId, Username};
use crate::store::{AccountChange, NewPlayer, PlayerRecord, StoreResult};

/// A player's columns and, through the LEFT JOIN, one of its stats per row.
#[derive(sqlx::FromRow)]
struct PlayerStatRow {
    id: i64,
    username: String,
    email: Option<String>,
    password_hash: Option<String>,
    twitch_user_id: Option<String>,
    twitch_login: Option<String>,
    created_at: i64,
    stat: Option<String>,
    value: Option<i64>,
}

const SELECT_PLAYER: &str = "SELECT p.id, p.username, p.email, p.password_hash, p.twitch_user_id, \
     p.twitch_login, p.created_at, s.stat, s.value \
     FROM players p LEFT JOIN player_stats s ON s.player_id = p.id";

fn fold_player(rows: Vec<PlayerStatRow>) -> Option<PlayerRecord> {
    let mut rows = rows.into_iter();
    let first = rows.next()?;
    let mut stats = HashMap::new();
    let mut add_stat = |stat: Option<String>, value: Option<i64>| {
        if let (Some(stat), Some(value)) = (stat, value) {
            stats.insert(stat, value);
        }
    };
    let PlayerStatRow { id, username, email, password_hash, twitch_user_id, twitch_login, created_at, stat, value } =
        first;
    add_stat(stat, value);
    for row in rows {
        add_stat(row.stat, row.value);
    }
    Some(PlayerRecord { id, username, email, password_hash, twitch_user_id, twitch_login, created_at, stats })
}

pub async fn create(pool: &PgPool, player: NewPlayer) -> StoreResult<PlayerRecord> {
    let NewPlayer { username, email, password_hash, twitch_user_id, created_at } = player;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO players (username, username_key, email, email_key, password_hash, twitch_user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(username.as_str())
    .bind(username.key())
    .bind(email.as_ref().map(|e| e.as_str()))
    .bind(email.as_ref().map(|e| e.key()))
    .bind(&password_hash)
    .bind(twitch_user_id.as_ref().map(TwitchUserId::as_str))
    .bind(created_at)
    .fetch_one(pool)
    .await?;
    Ok(PlayerRecord {
        id,
        username: username.as_str().to_owned(),
        email: email.map(|e| e.as_str().to_owned()),
        password_hash,
        twitch_user_id: twitch_user_id.map(|id| id.as_str().to_owned()),
        twitch_login: None,
        created_at,
        stats: HashMap::new(),
    })
}

pub async fn by_id(pool: &PgPool, id: i64) -> StoreResult<Option<PlayerRecord>> {
    let rows = sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.id = $1")).bind(id).fetch_all(pool).await?;
    Ok(fold_player(rows))
}

pub async fn by_username(pool: &PgPool, username: &Username) -> StoreResult<Option<PlayerRecord>> {
    let rows = sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.username_key = $1"))
        .bind(username.key())
        .fetch_all(pool)
        .await?;
    Ok(fold_player(rows))
}

pub async fn by_twitch_id(pool: &PgPool, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>> {
    let rows = sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.twitch_user_id = $1"))
        .bind(twitch_user_id.as_str())
        .fetch_all(pool)
        .await?;
    Ok(fold_player(rows))
}

/// Stats, sessions and tokens go with the player through ON DELETE CASCADE.
/// Under the award writers' lock, as on SQLite's one writer connection: a
/// group never sees a player that is gone by the time it writes the ledger.
pub async fn delete(pool: &PgPool, player_id: i64) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    super::lock_writers(&mut tx).await?;
    let done = sqlx::query("DELETE FROM players WHERE id = $1").bind(player_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

pub async fn list_usernames(pool: &PgPool, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, username FROM players WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?)
}

pub async fn update_account(pool: &PgPool, player_id: i64, change: AccountChange) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    if let Some(email) = &change.email {
        sqlx::query("UPDATE players SET email = $1, email_key = $2 WHERE id = $3")
            .bind(email.as_str())
            .bind(email.key())
            .bind(player_id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(hash) = &change.password_hash {
        sqlx::query("UPDATE players SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(player_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE player_id = $1 AND id IS DISTINCT FROM $2")
            .bind(player_id)
            .bind(change.keep_session)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
