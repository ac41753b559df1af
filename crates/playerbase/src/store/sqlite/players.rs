use std::collections::HashMap;

use sqlx::SqlitePool;

use super::direct;

use crate::domain::{Email, TwitchUserId, Username};
use crate::store::{AccountChange, ImportedPlayer, NewPlayer, PlayerRecord, PublicProfileRow, StoreError, StoreResult};

/// A player's columns, with the stored stats as one JSON object: one row
/// per player, since each row crosses to SQLite's worker thread on its own.
#[derive(sqlx::FromRow)]
struct PlayerRow {
    id: i64,
    username: String,
    email: Option<String>,
    password_hash: Option<String>,
    twitch_user_id: Option<String>,
    twitch_login: Option<String>,
    created_at: i64,
    stats: String,
}

const SELECT_PLAYER: &str = "SELECT p.id, p.username, p.email, p.password_hash, p.twitch_user_id, \
     p.twitch_login, p.created_at, \
     (SELECT json_group_object(s.stat, s.value) FROM player_stats s WHERE s.player_id = p.id) AS stats \
     FROM players p";

fn into_player(row: Option<PlayerRow>) -> StoreResult<Option<PlayerRecord>> {
    let Some(PlayerRow { id, username, email, password_hash, twitch_user_id, twitch_login, created_at, stats }) = row
    else {
        return Ok(None);
    };
    let stats: HashMap<String, i64> =
        serde_json::from_str(&stats).map_err(|err| StoreError::Corrupt(format!("stats of player {id}: {err}")))?;
    Ok(Some(PlayerRecord { id, username, email, password_hash, twitch_user_id, twitch_login, created_at, stats }))
}

pub async fn create(pool: &SqlitePool, player: NewPlayer) -> StoreResult<PlayerRecord> {
    let NewPlayer { username, email, password_hash, twitch_user_id, twitch_login, created_at } = player;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO players (username, username_key, email, email_key, password_hash, twitch_user_id, \
         twitch_login, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(username.as_str())
    .bind(username.key())
    .bind(email.as_ref().map(|e| e.as_str()))
    .bind(email.as_ref().map(|e| e.key()))
    .bind(&password_hash)
    .bind(twitch_user_id.as_ref().map(TwitchUserId::as_str))
    .bind(&twitch_login)
    .bind(created_at)
    .fetch_one(pool)
    .await?;
    Ok(PlayerRecord {
        id,
        username: username.as_str().to_owned(),
        email: email.map(|e| e.as_str().to_owned()),
        password_hash,
        twitch_user_id: twitch_user_id.map(|id| id.as_str().to_owned()),
        twitch_login,
        created_at,
        stats: HashMap::new(),
    })
}

pub async fn by_id(pool: &SqlitePool, id: i64) -> StoreResult<Option<PlayerRecord>> {
    into_player(sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.id = $1")).bind(id).fetch_optional(pool).await?)
}

pub async fn by_username(pool: &SqlitePool, username: &Username) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.username_key = $1"))
            .bind(username.key())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn by_twitch_id(pool: &SqlitePool, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.twitch_user_id = $1"))
            .bind(twitch_user_id.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn by_email(pool: &SqlitePool, email: &Email) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.email_key = $1"))
            .bind(email.key())
            .fetch_optional(pool)
            .await?,
    )
}

/// Every player's public fields and all-time stats, one row per player (the
/// stats as a JSON array of `[stat, value]`), read straight from SQLite at
/// start-up: a million rows through sqlx's worker channel cost seconds.
pub async fn public_profiles(
    pool: &SqlitePool,
    each: &mut (dyn for<'r> FnMut(PublicProfileRow<'r>) + Send),
) -> StoreResult<()> {
    direct::with_handle(&mut *pool.acquire().await?, |conn| {
        let mut statement = conn.prepare(
            "SELECT p.id, p.username, p.created_at, p.twitch_user_id, p.twitch_login, \
             (SELECT json_group_array(json_array(s.stat, s.value)) FROM player_stats s WHERE s.player_id = p.id) \
             FROM players p",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id = row.get(0)?;
            let stats: Vec<(&str, i64)> =
                serde_json::from_str(direct::text(row, 5)?).map_err(|err| direct::not_text(5, err))?;
            each(PublicProfileRow {
                id,
                username: direct::text(row, 1)?,
                created_at: row.get(2)?,
                twitch_user_id: direct::text_or_null(row, 3)?,
                twitch_login: direct::text_or_null(row, 4)?,
                stats: &stats,
            });
        }
        Ok(())
    })
    .await
}

pub async fn replace_password_hash(pool: &SqlitePool, player_id: i64, old: &str, new: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE players SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(player_id)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// AUTOINCREMENT keeps the highest id ever used in `sqlite_sequence`.
pub async fn max_id_ever(pool: &SqlitePool) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'players'), 0), \
                    COALESCE((SELECT MAX(id) FROM players), 0))",
    )
    .fetch_one(pool)
    .await?)
}

pub async fn import(pool: &SqlitePool, players: &[ImportedPlayer], reason: &str, now: i64) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for player in players {
        sqlx::query(
            "INSERT INTO players (id, username, username_key, email, email_key, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(player.id)
        .bind(player.username.as_str())
        .bind(player.username.key())
        .bind(player.email.as_ref().map(|e| e.as_str()))
        .bind(player.email.as_ref().map(|e| e.key()))
        .bind(&player.password_hash)
        .bind(player.created_at)
        .execute(&mut *tx)
        .await?;
        let mut prev_id = None;
        for stat in &player.stats {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ledger (player_id, stat, amount, value_after, source, reason, at, prev_id) \
                 VALUES ($1, $2, $3, $4, 'import', $5, $6, $7) RETURNING id",
            )
            .bind(player.id)
            .bind(&stat.stat)
            .bind(stat.amount)
            .bind(stat.value)
            .bind(reason)
            .bind(now)
            .bind(prev_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO player_stats (player_id, stat, value, last_ledger_id) VALUES ($1, $2, $3, $4)")
                .bind(player.id)
                .bind(&stat.stat)
                .bind(stat.value)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            prev_id = Some(id);
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Stats, sessions and tokens go with the player through ON DELETE CASCADE;
/// its ledger rows stop naming it, and its chat cooldowns (keyed by Twitch
/// id) are deleted, here.
pub async fn delete(pool: &SqlitePool, player_id: i64) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    super::ledger::forget_player(&mut tx, player_id).await?;
    sqlx::query(FORGET_COOLDOWNS).bind(player_id).execute(&mut *tx).await?;
    let done = sqlx::query("DELETE FROM players WHERE id = $1").bind(player_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

const FORGET_COOLDOWNS: &str =
    "DELETE FROM twitch_cooldowns WHERE twitch_user_id = (SELECT twitch_user_id FROM players WHERE id = $1)";

pub async fn list_usernames(pool: &SqlitePool, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, username FROM players WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

pub async fn update_account(pool: &SqlitePool, player_id: i64, change: AccountChange) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    if let Some(email) = change.email.stored() {
        sqlx::query("UPDATE players SET email = $1, email_key = $2 WHERE id = $3")
            .bind(email.map(Email::as_str))
            .bind(email.map(Email::key))
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
        sqlx::query("DELETE FROM sessions WHERE player_id = $1 AND id IS NOT $2")
            .bind(player_id)
            .bind(change.keep_session)
            .execute(&mut *tx)
            .await?;
        // Whoever logged in with the old password no longer counts as the owner.
        crate::store::known_addresses::forget_player::<sqlx::Sqlite>(&mut tx, player_id).await?;
    }
    tx.commit().await?;
    Ok(())
}
