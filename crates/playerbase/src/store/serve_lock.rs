//! A SQLite file is served by one process: each keeps its leaderboards and
//! profiles in memory, up to date with its own writes only, so a second
//! would serve stale values (PostgreSQL instances follow each other's
//! announcements). `serve` holds a lock on a file beside the database;
//! `import-flask`, whose players a running server would leave off its
//! leaderboards, takes it too. The other commands (`api-key`, `backup`, …) do not.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::Context;

pub enum ServeLock {
    /// Held until dropped.
    Held(File),
    /// PostgreSQL, or an in-memory database: nothing to hold.
    NotNeeded,
    /// A server holds the file at this path.
    Serving(PathBuf),
}

pub fn take(database: &str) -> anyhow::Result<ServeLock> {
    if super::is_postgres(database) {
        return Ok(ServeLock::NotNeeded);
    }
    // An in-memory database is this process's alone anyway.
    let Ok(file) = super::sqlite_file(database) else { return Ok(ServeLock::NotNeeded) };
    // By the directory's real path, so another spelling of it finds the same lock.
    let dir = file.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!("cannot use the database {database}: there is no directory {}", dir.display());
    }
    let file = match (std::fs::canonicalize(dir), file.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => file,
    };
    let mut lock_path = file.clone().into_os_string();
    lock_path.push(".serve-lock");
    let lock_path = PathBuf::from(lock_path);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => Ok(ServeLock::Held(lock)),
        Err(TryLockError::WouldBlock) => Ok(ServeLock::Serving(file)),
        Err(TryLockError::Error(err)) => Err(err).with_context(|| format!("cannot lock {}", lock_path.display())),
    }
}
