use sqlx::PgPool;

use crate::auth::token::TokenHash;
use crate::domain::Scope;
use crate::domain::scope::format_scopes;
use crate::store::api_key_rows::{ApiKeyRow, COLUMNS};
use crate::store::{ApiKeyRecord, StoreResult};

pub async fn create(
    pool: &PgPool,
    name: &str,
    hash: &TokenHash,
    scopes: &[Scope],
    now: i64,
) -> StoreResult<ApiKeyRecord> {
    let row: ApiKeyRow = sqlx::query_as(&format!(
        "INSERT INTO api_keys (name, hash, scopes, created_at) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(hash.as_bytes())
    .bind(format_scopes(scopes))
    .bind(now)
    .fetch_one(pool)
    .await?;
    row.try_into()
}

pub async fn list(pool: &PgPool) -> StoreResult<Vec<ApiKeyRecord>> {
    let rows: Vec<ApiKeyRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id")).fetch_all(pool).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn revoke(pool: &PgPool, name: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(name)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn live_by_hash(pool: &PgPool, hash: &TokenHash) -> StoreResult<Option<ApiKeyRecord>> {
    let row: Option<ApiKeyRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE hash = $1 AND revoked_at IS NULL"))
            .bind(hash.as_bytes())
            .fetch_optional(pool)
            .await?;
    row.map(TryInto::try_into).transpose()
}
