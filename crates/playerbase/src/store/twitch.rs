//! What the EventSub receiver, its worker and the stream period need of a store.

use super::StoreResult;

/// A notification as received, stored before it is answered.
#[derive(Debug, Clone)]
pub struct NewEventSubMessage {
    pub message_id: String,
    pub subscription_type: String,
    pub body: String,
    /// Twitch's message timestamp, unix milliseconds.
    pub sent_at_ms: i64,
    pub received_at: i64,
}

/// A stored notification not applied yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingMessage {
    pub id: i64,
    pub message_id: String,
    pub subscription_type: String,
    pub body: String,
    /// Twitch's message timestamp, unix milliseconds.
    pub sent_at_ms: i64,
}

impl PendingMessage {
    /// Twitch's message timestamp in unix seconds, as streams count time.
    pub fn sent_at(&self) -> i64 {
        self.sent_at_ms.div_euclid(1000)
    }
}

#[derive(Debug, Clone)]
pub struct Revocation {
    pub subscription_id: String,
    pub subscription_type: String,
    pub status: String,
    pub at: i64,
}

/// The configured broadcaster's last stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Stream {
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

impl Stream {
    /// Where awards go now: the stream's period while it is live.
    pub fn live_since(stream: Option<Stream>) -> Option<i64> {
        stream.filter(|s| s.ended_at.is_none()).map(|s| s.started_at)
    }

    /// What the `stream` board shows: the last stream, live or ended.
    pub fn last_start(stream: Option<Stream>) -> Option<i64> {
        stream.map(|s| s.started_at)
    }
}

/// A player found by Twitch user id, as the viewer bookkeeping needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ViewerRow {
    pub twitch_user_id: String,
    pub id: i64,
    pub username: String,
    pub twitch_login: Option<String>,
    /// 1 when the username came from the Twitch login (and follows renames).
    pub username_from_twitch: i64,
}

/// A player to create for a viewer.
#[derive(Debug, Clone)]
pub struct NewViewer {
    pub username: String,
    pub username_key: String,
    pub twitch_user_id: String,
    pub twitch_login: String,
    pub created_at: i64,
}

/// A viewer's new login, and the new username when it follows.
#[derive(Debug, Clone)]
pub struct ViewerRename {
    pub player_id: i64,
    pub twitch_login: String,
    pub username: Option<(String, String)>,
}

/// What a `stream.online` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStart {
    /// The stream is live from its start.
    Live,
    /// Its `stream.offline` came first: recorded as ended then.
    EndedAlready { at: i64 },
    /// A stream seen before, or older than one known: nothing changed.
    Late,
}

/// Ends any stream still open, then starts this one. Twitch delivers at
/// least once and in no promised order: a stream seen before, or one that
/// started before another known one, is a late delivery and changes
/// nothing; an early offline ([`stream_went_offline`]) sent after the
/// stream's start was this stream's end. One function for both stores: the SQL is the same.
pub async fn start_stream<DB>(conn: &mut DB::Connection, stream_id: &str, started_at: i64) -> StoreResult<StreamStart>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let late: Option<String> = sqlx::query_scalar(
        "SELECT stream_id FROM twitch_streams WHERE (stream_id = $1 AND stream_id <> '') OR started_at > $2 LIMIT 1",
    )
    .bind(stream_id)
    .bind(started_at)
    .fetch_optional(&mut *conn)
    .await?;
    if late.is_some() {
        return Ok(StreamStart::Late);
    }
    let ended_at: Option<i64> =
        sqlx::query_scalar("SELECT at FROM twitch_early_offlines WHERE at >= $1 ORDER BY at LIMIT 1")
            .bind(started_at)
            .fetch_optional(&mut *conn)
            .await?;
    // Spent, or older than this stream (an earlier stream's, whose online never came);
    // later ones may be the ends of streams whose onlines are still to come.
    sqlx::query("DELETE FROM twitch_early_offlines WHERE at < $1 OR at = $2")
        .bind(started_at)
        .bind(ended_at)
        .execute(&mut *conn)
        .await?;
    end_stream::<DB>(&mut *conn, started_at).await?;
    sqlx::query("INSERT INTO twitch_streams (stream_id, started_at, ended_at) VALUES ($1, $2, $3)")
        .bind(stream_id)
        .bind(started_at)
        .bind(ended_at)
        .execute(conn)
        .await?;
    Ok(match ended_at {
        Some(at) => StreamStart::EndedAlready { at },
        None => StreamStart::Live,
    })
}

/// The broadcaster's `stream.offline`: ends the open stream, or, with none
/// to end, is kept as an early offline for the online still to come.
/// Whether it ended one.
pub async fn stream_went_offline<DB>(conn: &mut DB::Connection, at: i64) -> StoreResult<bool>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    if end_stream::<DB>(&mut *conn, at).await? {
        return Ok(true);
    }
    sqlx::query("INSERT INTO twitch_early_offlines (at) VALUES ($1)").bind(at).execute(conn).await?;
    Ok(false)
}

/// Ends the open stream, unless it started after `at`: then the offline
/// is a late delivery about the stream before it, which is ended already.
/// Whether it ended one.
pub async fn end_stream<DB>(conn: &mut DB::Connection, at: i64) -> StoreResult<bool>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let ended: Vec<i64> = sqlx::query_scalar(
        "UPDATE twitch_streams SET ended_at = $1 WHERE ended_at IS NULL AND started_at <= $1 RETURNING id",
    )
    .bind(at)
    .fetch_all(conn)
    .await?;
    Ok(!ended.is_empty())
}
