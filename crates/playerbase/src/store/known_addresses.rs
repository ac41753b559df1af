//! The addresses each player logged in from lately, which the login
//! back-off lets through (migration "known_addresses"). One set of functions
//! for both stores: the SQL is the same.

use super::StoreResult;

/// The most addresses kept per player; a new one replaces the oldest.
const PER_PLAYER: i64 = 8;

/// Until when `network` is known to the player whose username key is `username_key`, if it still is at `now`.
pub async fn known_until<DB>(
    conn: &mut DB::Connection,
    username_key: &str,
    network: &str,
    now: i64,
) -> StoreResult<Option<i64>>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    Ok(sqlx::query_scalar(
        "SELECT k.known_until FROM known_addresses k JOIN players p ON p.id = k.player_id \
         WHERE p.username_key = $1 AND k.network = $2 AND k.known_until > $3",
    )
    .bind(username_key)
    .bind(network)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// `network` is known to the player until `until`; beyond [`PER_PLAYER`] the oldest go.
pub async fn remember<DB>(conn: &mut DB::Connection, player_id: i64, network: &str, until: i64) -> StoreResult<()>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO known_addresses (player_id, network, known_until) VALUES ($1, $2, $3) \
         ON CONFLICT (player_id, network) DO UPDATE SET known_until = excluded.known_until",
    )
    .bind(player_id)
    .bind(network)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM known_addresses WHERE player_id = $1 AND network NOT IN \
         (SELECT network FROM known_addresses WHERE player_id = $1 ORDER BY known_until DESC LIMIT $2)",
    )
    .bind(player_id)
    .bind(PER_PLAYER)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets addresses no longer known at `now`.
pub async fn forget_expired<DB>(conn: &mut DB::Connection, now: i64) -> StoreResult<()>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query("DELETE FROM known_addresses WHERE known_until <= $1").bind(now).execute(conn).await?;
    Ok(())
}

/// Forgets every address of the player (its password changed).
pub async fn forget_player<DB>(conn: &mut DB::Connection, player_id: i64) -> StoreResult<()>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query("DELETE FROM known_addresses WHERE player_id = $1").bind(player_id).execute(conn).await?;
    Ok(())
}

/// The player's addresses, `(network, known until)`, latest first: for its data export.
pub async fn of_player<DB>(conn: &mut DB::Connection, player_id: i64) -> StoreResult<Vec<(String, i64)>>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    Ok(sqlx::query_as(
        "SELECT network, known_until FROM known_addresses WHERE player_id = $1 ORDER BY known_until DESC, network",
    )
    .bind(player_id)
    .fetch_all(conn)
    .await?)
}
