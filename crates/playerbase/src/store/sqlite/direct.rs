//! The award writer's statements, run straight on the writer connection's
//! SQLite handle. Through sqlx every statement, and every row it returns,
//! crosses to the connection's worker thread and back: a raid's 10,000
//! awards cost tens of thousands of thread wake-ups. Here a call costs one.

use sqlx::SqliteConnection;

use crate::store::StoreResult;

/// Runs `work` on `conn`'s handle, inside whatever transaction it has open.
pub async fn with_handle<T>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let mut locked = conn.lock_handle().await?;
    // SAFETY: the handle is valid and ours alone while `locked` lives (sqlx's
    // worker thread waits for it), and the rusqlite connection made from it
    // is dropped before `locked` is: it neither outlives the handle nor
    // closes it (`from_handle` does not own it).
    let direct = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }?;
    let result = work(&direct);
    drop(direct);
    Ok(result?)
}

/// Column `index` of `row` as text, borrowed from SQLite's buffer.
pub fn text<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(index)?.as_str().map_err(|err| not_text(index, err))
}

/// Column `index` of `row` as text or NULL, borrowed from SQLite's buffer.
pub fn text_or_null<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(index)?.as_str_or_null().map_err(|err| not_text(index, err))
}

pub fn not_text(index: usize, err: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(err))
}
