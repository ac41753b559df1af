use sqlx::{SqliteConnection, SqlitePool};

use super::players;
use crate::auth::token::TokenHash;
use crate::store::{NewToken, Rotation, StoreResult, TokenKind, TokenOwner};

/// On the one writer connection, so no password change can come between the check and the insert.
pub async fn create(
    pool: &SqlitePool,
    player_id: i64,
    checked_hash: Option<&str>,
    tokens: &[NewToken],
    now: i64,
) -> StoreResult<Option<i64>> {
    let mut tx = pool.begin().await?;
    let session_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sessions (player_id, created_at) SELECT id, $2 FROM players \
         WHERE id = $1 AND ($3 IS NULL OR password_hash = $3) RETURNING id",
    )
    .bind(player_id)
    .bind(now)
    .bind(checked_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(session_id) = session_id else { return Ok(None) };
    insert_tokens(&mut tx, session_id, tokens).await?;
    tx.commit().await?;
    Ok(Some(session_id))
}

async fn insert_tokens(tx: &mut SqliteConnection, session_id: i64, tokens: &[NewToken]) -> StoreResult<()> {
    for token in tokens {
        sqlx::query("INSERT INTO tokens (hash, session_id, kind, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token.hash.as_bytes())
            .bind(session_id)
            .bind(token.kind.as_str())
            .bind(token.expires_at)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub async fn rotate_refresh(
    pool: &SqlitePool,
    spent: &TokenHash,
    fresh: &[NewToken],
    now: i64,
) -> StoreResult<Rotation> {
    let mut tx = pool.begin().await?;
    // Writing first takes the write lock at once, and the `spent_at IS NULL`
    // condition lets exactly one of two racing refreshes through.
    let claimed: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE tokens SET spent_at = $1 \
         WHERE hash = $2 AND kind = $3 AND spent_at IS NULL AND expires_at > $1 \
         RETURNING session_id, (SELECT player_id FROM sessions WHERE id = tokens.session_id)",
    )
    .bind(now)
    .bind(spent.as_bytes())
    .bind(TokenKind::Refresh.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((session_id, player_id)) = claimed {
        insert_tokens(&mut tx, session_id, fresh).await?;
        tx.commit().await?;
        return Ok(Rotation::Rotated { player_id, session_id });
    }
    let reused: Option<i64> = sqlx::query_scalar(
        "SELECT session_id FROM tokens \
         WHERE hash = $1 AND kind = $2 AND spent_at IS NOT NULL AND expires_at > $3",
    )
    .bind(spent.as_bytes())
    .bind(TokenKind::Refresh.as_str())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(session_id) = reused else { return Ok(Rotation::Unknown) };
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Rotation::Reused)
}

pub async fn end(pool: &SqlitePool, session_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(pool).await?;
    Ok(())
}

pub async fn token_owner(
    pool: &SqlitePool,
    hash: &TokenHash,
    kind: TokenKind,
    now: i64,
) -> StoreResult<Option<TokenOwner>> {
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT s.player_id, s.id FROM tokens t JOIN sessions s ON s.id = t.session_id \
         WHERE t.hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND t.spent_at IS NULL",
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
    crate::store::known_addresses::forget_expired::<sqlx::Sqlite>(&mut tx, now).await?;
    tx.commit().await?;
    Ok(deleted.rows_affected())
}
