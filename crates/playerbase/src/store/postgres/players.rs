use std::collections::HashMap;

use sqlx::{PgConnection, PgPool};

use crate::domain::{Email, Period, PeriodKey, TwitchUserId, Username, periods};
use crate::store::twitch::Stream;
use crate::store::{
    AccountChange, AnnounceDeletion, BoardValue, ImportedPlayer, NewPlayer, PlayerRecord, StoreError, StoreResult,
};

/// A player's columns, with the stored stats as one JSON object: one row
/// per player, as on SQLite.
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
     COALESCE((SELECT json_object_agg(s.stat, s.value) FROM player_stats s WHERE s.player_id = p.id)::text, '{}') \
     AS stats \
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

pub async fn create(pool: &PgPool, player: NewPlayer) -> StoreResult<PlayerRecord> {
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

pub async fn by_id(pool: &PgPool, id: i64) -> StoreResult<Option<PlayerRecord>> {
    into_player(sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.id = $1")).bind(id).fetch_optional(pool).await?)
}

pub async fn by_username(pool: &PgPool, username: &Username) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.username_key = $1"))
            .bind(username.key())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn by_twitch_id(pool: &PgPool, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.twitch_user_id = $1"))
            .bind(twitch_user_id.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn by_email(pool: &PgPool, email: &Email) -> StoreResult<Option<PlayerRecord>> {
    into_player(
        sqlx::query_as(&format!("{SELECT_PLAYER} WHERE p.email_key = $1"))
            .bind(email.key())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn replace_password_hash(pool: &PgPool, player_id: i64, old: &str, new: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE players SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new)
        .bind(player_id)
        .bind(old)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The identity's sequence keeps the highest id ever handed out.
pub async fn max_id_ever(pool: &PgPool) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT GREATEST(COALESCE(pg_sequence_last_value(pg_get_serial_sequence('players', 'id')::regclass), 0), \
                         COALESCE((SELECT MAX(id) FROM players), 0))",
    )
    .fetch_one(pool)
    .await?)
}

/// Under the award writers' lock, so ledger ids still grow in commit order.
pub async fn import(pool: &PgPool, players: &[ImportedPlayer], reason: &str, now: i64) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    super::lock_writers(&mut tx).await?;
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
        for stat in &player.stats {
            sqlx::query("INSERT INTO player_stats (player_id, stat, value) VALUES ($1, $2, $3)")
                .bind(player.id)
                .bind(&stat.stat)
                .bind(stat.value)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ledger (player_id, stat, amount, value_after, source, reason, at) \
                 VALUES ($1, $2, $3, $4, 'import', $5, $6)",
            )
            .bind(player.id)
            .bind(&stat.stat)
            .bind(stat.amount)
            .bind(stat.value)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    // SQLite's AUTOINCREMENT follows ids given explicitly; an identity does
    // not: move it past them, so new players never get an imported id.
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('players', 'id'), m) FROM (SELECT MAX(id) AS m FROM players) t \
         WHERE m > COALESCE(pg_sequence_last_value(pg_get_serial_sequence('players', 'id')::regclass), 0)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stats, sessions and tokens go with the player through ON DELETE CASCADE;
/// its chat cooldowns (keyed by Twitch id) are deleted here. Under the
/// award writers' lock, as on SQLite's one writer connection: a
/// group never sees a player that is gone by the time it writes the ledger.
/// The other instances learn of it from an announcement in the same
/// transaction, after every award group that came before it.
pub async fn delete(pool: &PgPool, player_id: i64, now: i64, announce: &AnnounceDeletion) -> StoreResult<bool> {
    let mut tx = pool.begin().await?;
    super::lock_writers(&mut tx).await?;
    let stream = Stream::last_start(super::twitch::stream_on(&mut tx).await?);
    let values = board_values(&mut tx, player_id, &periods::kept_by_any_instance(now, stream)).await?;
    sqlx::query(FORGET_COOLDOWNS).bind(player_id).execute(&mut *tx).await?;
    let done = sqlx::query("DELETE FROM players WHERE id = $1").bind(player_id).execute(&mut *tx).await?;
    if done.rows_affected() > 0 && !values.is_empty() {
        super::awards::announce_on(&mut tx, &announce(player_id, &values), now).await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// The player's values on the boards of `periods` (all time among them).
async fn board_values(conn: &mut PgConnection, player_id: i64, periods: &[PeriodKey]) -> StoreResult<Vec<BoardValue>> {
    let all_time: Vec<(String, i64)> = sqlx::query_as("SELECT stat, value FROM player_stats WHERE player_id = $1")
        .bind(player_id)
        .fetch_all(&mut *conn)
        .await?;
    let (kinds, starts): (Vec<&str>, Vec<i64>) =
        periods.iter().filter(|key| key.period != Period::All).map(|key| (key.period.as_str(), key.starts_at)).unzip();
    let running: Vec<(String, i64, String, i64)> = sqlx::query_as(
        "SELECT kind, starts_at, stat, value FROM period_stats WHERE player_id = $1 \
         AND (kind, starts_at) IN (SELECT * FROM UNNEST($2::text[], $3::bigint[]))",
    )
    .bind(player_id)
    .bind(&kinds)
    .bind(&starts)
    .fetch_all(&mut *conn)
    .await?;
    let mut values: Vec<BoardValue> =
        all_time.into_iter().map(|(stat, value)| (stat, PeriodKey::ALL_TIME, value)).collect();
    for (kind, starts_at, stat, value) in running {
        let period = kind.parse::<Period>().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        values.push((stat, PeriodKey { period, starts_at }, value));
    }
    Ok(values)
}

const FORGET_COOLDOWNS: &str =
    "DELETE FROM twitch_cooldowns WHERE twitch_user_id = (SELECT twitch_user_id FROM players WHERE id = $1)";

pub async fn list_usernames(pool: &PgPool, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, username FROM players WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?)
}

pub async fn update_account(pool: &PgPool, player_id: i64, change: AccountChange) -> StoreResult<()> {
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
        sqlx::query("DELETE FROM sessions WHERE player_id = $1 AND id IS DISTINCT FROM $2")
            .bind(player_id)
            .bind(change.keep_session)
            .execute(&mut *tx)
            .await?;
        // Whoever logged in with the old password no longer counts as the owner.
        crate::store::known_addresses::forget_player::<sqlx::Postgres>(&mut tx, player_id).await?;
    }
    tx.commit().await?;
    Ok(())
}
