use sqlx::SqlitePool;

use crate::auth::token::TokenHash;
use crate::domain::TwitchUserId;
use crate::store::{StoreError, StoreResult, TwitchLogin, TwitchLoginKind};

pub async fn put(pool: &SqlitePool, hash: &TokenHash, login: &TwitchLogin) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO twitch_logins (hash, kind, player_id, redirect, code_challenge, browser, \
         twitch_user_id, twitch_login, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(hash.as_bytes())
    .bind(login.kind.as_str())
    .bind(login.player_id)
    .bind(&login.redirect)
    .bind(&login.code_challenge)
    .bind(login.browser.as_ref().map(TokenHash::as_bytes))
    .bind(login.twitch.as_ref().map(|(user_id, _)| user_id))
    .bind(login.twitch.as_ref().map(|(_, login)| login))
    .bind(login.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// A row's columns after `kind`: player_id, redirect, code_challenge, browser,
/// twitch_user_id, twitch_login, expires_at.
type Row = (Option<i64>, Option<String>, Option<String>, Option<Vec<u8>>, Option<String>, Option<String>, i64);

/// One DELETE … RETURNING: of two requests presenting the same secret, on
/// one instance or two, exactly one gets the row.
pub async fn take(
    pool: &SqlitePool,
    hash: &TokenHash,
    kind: TwitchLoginKind,
    now: i64,
) -> StoreResult<Option<TwitchLogin>> {
    let row: Option<Row> = sqlx::query_as(
        "DELETE FROM twitch_logins WHERE hash = $1 AND kind = $2 \
         RETURNING player_id, redirect, code_challenge, browser, twitch_user_id, twitch_login, expires_at",
    )
    .bind(hash.as_bytes())
    .bind(kind.as_str())
    .fetch_optional(pool)
    .await?;
    let Some((player_id, redirect, code_challenge, browser, twitch_user_id, twitch_login, expires_at)) =
        row.filter(|&(.., at)| at > now)
    else {
        return Ok(None);
    };
    let browser = match browser {
        Some(bytes) => {
            Some(TokenHash::from_bytes(&bytes).ok_or_else(|| StoreError::Corrupt("twitch_logins.browser".into()))?)
        }
        None => None,
    };
    let twitch = twitch_user_id.zip(twitch_login);
    Ok(Some(TwitchLogin { kind, player_id, redirect, code_challenge, browser, twitch, expires_at }))
}

pub async fn delete_expired(pool: &SqlitePool, now: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM twitch_logins WHERE expires_at <= $1").bind(now).execute(pool).await?;
    Ok(done.rows_affected())
}

/// A Twitch account already held by another player is a unique violation: `Taken(TwitchUserId)`.
pub async fn link(pool: &SqlitePool, player_id: i64, twitch_user_id: &TwitchUserId, login: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE players SET twitch_user_id = $1, twitch_login = $2 WHERE id = $3")
        .bind(twitch_user_id.as_str())
        .bind(login)
        .bind(player_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
