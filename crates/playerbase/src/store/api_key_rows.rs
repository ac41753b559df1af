//! How an API key row reads, the same on every backend.

use crate::domain::scope::parse_scopes;
use crate::store::{ApiKeyRecord, StoreError, StoreResult};

pub const COLUMNS: &str = "id, name, scopes, created_at, revoked_at";

#[derive(sqlx::FromRow)]
pub struct ApiKeyRow {
    id: i64,
    name: String,
    scopes: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> StoreResult<Self> {
        let scopes = parse_scopes(&row.scopes).map_err(|why| StoreError::Corrupt(why.0))?;
        Ok(Self { id: row.id, name: row.name, scopes, created_at: row.created_at, revoked_at: row.revoked_at })
    }
}
