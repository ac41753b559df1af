use sqlx::SqlitePool;

use super::players;
use crate::auth::token::TokenHash;
use crate::store::{NewToken, StoreResult, TokenKind, TokenOwner};

pub async fn create(pool: &SqlitePool, player_id: i64, tokens: &[NewToken], now: i64) -> StoreResult<i64> {
    let mut tx = pool.begin().await?;
    let session_id: i64 =
        sqlx::query_scalar("INSERT INTO sessions (player_id, created_at) VALUES ($1, $2) RETURNING id")
            .bind(player_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
    for token in tokens {
        sqlx::query("INSERT INTO tokens (hash, session_id, kind, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token.hash.as_bytes())
            .bind(session_id)
            .bind(token.kind.as_str())
            .bind(token.expires_at)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(session_id)
}

pub async fn token_owner(
    pool: &SqlitePool,
    hash: &TokenHash,
    kind: TokenKind,
    now: i64,
) -> StoreResult<Option<TokenOwner>> {
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.player_id, s.id FROM tokens t JOIN sessions s ON s.id = t.session_id \
         WHERE t.hash = $1 AND t.kind = $2 AND t.expires_at > $3",
    )
    .bind(hash.as_bytes())
    .bind(kind.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await?;
    let Some((player_id, session_id)) = found else { return Ok(None) };
    Ok(players::by_id(pool, player_id).await?.map(|player| TokenOwner { player, session_id }))
}

pub async fn delete_expired(pool: &SqlitePool, now: i64) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.session_id = sessions.id)")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected())
}
