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
