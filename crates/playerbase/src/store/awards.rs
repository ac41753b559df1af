//! What the award write path and its readers need of a store.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::PeriodKey;
use crate::store::twitch::{NewViewer, Stream, StreamStart, ViewerRename, ViewerRow};

/// A chat cooldown's address: `(twitch_user_id, rule)`.
pub type CooldownKey = (String, String);

/// An `Idempotency-Key`, scoped to the API key that sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    pub owner: i64,
    pub key: String,
}

/// The first answer given to an idempotency key.
#[derive(Debug, Clone)]
pub struct StoredReply {
    pub key: IdempotencyKey,
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub body: String,
    pub created_at: i64,
}

/// A ledger row to write.
#[derive(Debug, Clone)]
pub struct NewLedgerRow {
    pub player_id: i64,
    pub stat: String,
    pub amount: i64,
    pub value_after: i64,
    pub source: String,
    pub reason: Option<String>,
    pub at: i64,
    /// The EventSub message the award came from.
    pub twitch_message_id: Option<String>,
}

/// A ledger row as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: i64,
    pub player_id: Option<i64>,
    pub username: Option<String>,
    pub stat: String,
    pub amount: i64,
    pub value_after: i64,
    pub source: String,
    pub reason: Option<String>,
    pub at: i64,
    pub twitch_message_id: Option<String>,
}

/// A stored stat value: `(player_id, stat, value)`.
pub type StatValue = (i64, String, i64);

/// One transaction of the award writer. Dropped without `commit`, it rolls back.
#[async_trait]
pub trait WriteTx: Send {
    async fn stored_replies(&mut self, keys: &[IdempotencyKey]) -> StoreResult<Vec<StoredReply>>;
    /// The usernames of the players that exist among `ids`.
    async fn players_by_ids(&mut self, ids: &[i64]) -> StoreResult<HashMap<i64, String>>;
    /// `(twitch_user_id, id, username)` of the players linked to `twitch_ids`.
    async fn players_by_twitch_ids(&mut self, twitch_ids: &[String]) -> StoreResult<Vec<(String, i64, String)>>;
    /// The stored values among `pairs` of `(player_id, stat)` in `period`.
    async fn stat_values(&mut self, period: PeriodKey, pairs: &[(i64, String)]) -> StoreResult<Vec<StatValue>>;
    /// Writes the rows and returns their ids, in the order given.
    async fn insert_ledger(&mut self, rows: &[NewLedgerRow]) -> StoreResult<Vec<i64>>;
    async fn write_values(&mut self, period: PeriodKey, values: &[StatValue]) -> StoreResult<()>;
    async fn save_replies(&mut self, replies: &[StoredReply]) -> StoreResult<()>;
    /// Records `body` for the other instances, delivered when this commits;
    /// returns its id, or none where no other instance can be listening.
    async fn announce(&mut self, body: &str, at: i64) -> StoreResult<Option<i64>>;
    /// Which of the EventSub `message_ids` were applied already.
    async fn applied_messages(&mut self, message_ids: &[String]) -> StoreResult<HashSet<String>>;
    /// Marks EventSub messages applied, dropping their bodies.
    async fn mark_applied(&mut self, message_ids: &[String], at: i64) -> StoreResult<()>;
    /// The players linked to `twitch_ids`, with what viewer bookkeeping needs.
    async fn viewers(&mut self, twitch_ids: &[String]) -> StoreResult<Vec<ViewerRow>>;
    /// Which of the lower-cased username `keys` are taken.
    async fn taken_usernames(&mut self, keys: &[String]) -> StoreResult<HashSet<String>>;
    /// Creates players for viewers; one whose name or Twitch id is taken by then is skipped.
    async fn insert_viewers(&mut self, viewers: &[NewViewer]) -> StoreResult<()>;
    async fn rename_viewers(&mut self, renames: &[ViewerRename]) -> StoreResult<()>;
    async fn cooldowns(&mut self, keys: &[CooldownKey]) -> StoreResult<HashMap<CooldownKey, i64>>;
    async fn write_cooldowns(&mut self, values: &[(CooldownKey, i64)]) -> StoreResult<()>;
    /// The configured broadcaster's last stream.
    async fn stream(&mut self) -> StoreResult<Option<Stream>>;
    /// Ends any open stream and starts this one (see [`crate::store::twitch::start_stream`]).
    async fn start_stream(&mut self, stream_id: &str, started_at: i64) -> StoreResult<StreamStart>;
    /// The broadcaster went offline: whether an open stream ended; with none, kept for the online to come (see
    /// [`crate::store::twitch::stream_went_offline`]).
    async fn stream_went_offline(&mut self, at: i64) -> StoreResult<bool>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// The id of the ledger's newest row (0 for none), from either store.
pub async fn last_ledger_id<'c, DB>(executor: impl sqlx::Executor<'c, Database = DB>) -> StoreResult<i64>
where
    DB: sqlx::Database,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM ledger").fetch_one(executor).await?)
}

/// How many ledger rows have an id above `after` and below `before`, up to
/// `at_most` (anyone may ask, by reconnecting with an old id), from either store.
pub async fn ledger_rows_between<'c, DB>(
    executor: impl sqlx::Executor<'c, Database = DB>,
    after: i64,
    before: i64,
    at_most: i64,
) -> StoreResult<i64>
where
    DB: sqlx::Database,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM ledger WHERE id > $1 AND id < $2 LIMIT $3) AS missed")
        .bind(after)
        .bind(before)
        .bind(at_most)
        .fetch_one(executor)
        .await?)
}

/// The first answer given under `key`, from either store: the query is the same SQL on both.
pub async fn stored_reply<'c, DB>(
    executor: impl sqlx::Executor<'c, Database = DB>,
    key: &IdempotencyKey,
) -> StoreResult<Option<StoredReply>>
where
    DB: sqlx::Database,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let row: Option<(Vec<u8>, i64, String, i64)> = sqlx::query_as(
        "SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE owner = $1 AND key = $2",
    )
    .bind(key.owner)
    .bind(key.key.as_str())
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(request_hash, status, body, created_at)| StoredReply {
        key: key.clone(),
        request_hash,
        status: status as u16,
        body,
        created_at,
    }))
}
