use sqlx::{PgConnection, PgPool};

use super::players;
use crate::auth::token::TokenHash;
use crate::store::{NewToken, Rotation, StoreResult, TokenKind, TokenOwner};

/// The player's row is share-locked until the commit: a password change
/// (which updates it, then deletes the player's sessions) either waits for
/// this session and deletes it, or commits first and this finds its hash changed.
pub async fn create(
    pool: &PgPool,
    player_id: i64,
    checked_hash: Option<&str>,
    tokens: &[NewToken],
    now: i64,
) -> StoreResult<Option<i64>> {
    let mut tx = pool.begin().await?;
    let still: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM players WHERE id = $1 AND ($2::text IS NULL OR password_hash = $2) FOR SHARE",
    )
    .bind(player_id)
    .bind(checked_hash)
    .fetch_optional(&mut *tx)
    .await?;
    if still.is_none() {
        return Ok(None);
    }
    let session_id: i64 =
        sqlx::query_scalar("INSERT INTO sessions (player_id, created_at) VALUES ($1, $2) RETURNING id")
            .bind(player_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
    insert_tokens(&mut tx, session_id, tokens).await?;
    tx.commit().await?;
    Ok(Some(session_id))
}

async fn insert_tokens(tx: &mut PgConnection, session_id: i64, tokens: &[NewToken]) -> StoreResult<()> {
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

pub async fn rotate_refresh(pool: &PgPool, spent: &TokenHash, fresh: &[NewToken], now: i64) -> StoreResult<Rotation> {
    let mut tx = pool.begin().await?;
    // The session's row first: every rotation and reuse of one session (on
    // this instance or another) takes it before touching its tokens, so they
    // run one at a time. Without it, two racing reuses each keep the lock
    // their UPDATE took on the spent token while waiting to delete the
    // session, and deadlock. After that, as on SQLite, the `spent_at IS NULL`
    // condition lets exactly one of the racing refreshes through.
    sqlx::query("SELECT id FROM sessions WHERE id = (SELECT session_id FROM tokens WHERE hash = $1) FOR UPDATE")
        .bind(spent.as_bytes())
        .execute(&mut *tx)
        .await?;
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
    let Some(session_id) = reused else {
        // Ended now rather than when the connection goes back to the pool: it may hold the session's lock.
        tx.commit().await?;
        return Ok(Rotation::Unknown);
    };
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Rotation::Reused)
}

pub async fn end(pool: &PgPool, session_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(pool).await?;
    Ok(())
}

pub async fn token_owner(
    pool: &PgPool,
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

pub async fn delete_expired(pool: &PgPool, now: i64) -> StoreResult<u64> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.session_id = sessions.id)")
        .execute(&mut *tx)
        .await?;
    crate::store::known_addresses::forget_expired::<sqlx::Postgres>(&mut tx, now).await?;
    tx.commit().await?;
    Ok(deleted.rows_affected())
}
