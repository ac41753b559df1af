//! `playerbase backup FILE`: a consistent copy of a live SQLite database,
//! taken without stopping the server.

use std::path::Path;

use anyhow::{Context, bail};

use crate::store::Store;

/// Whether `database` names a PostgreSQL database rather than a SQLite one.
pub fn is_postgres(database: &str) -> bool {
    crate::store::is_postgres(database)
}

/// Refuses what `backup` cannot do before any database is opened.
pub fn check(database: &str, target: &Path) -> anyhow::Result<()> {
    if is_postgres(database) {
        bail!(
            "playerbase backup copies SQLite databases; for PostgreSQL use pg_dump \
             (pg_dump --format=custom --file=FILE DATABASE_URL) and pg_restore to restore"
        );
    }
    if target.exists() {
        bail!("{} exists; a backup never overwrites a file", target.display());
    }
    // Opening a missing file would create an empty database and back that up.
    let source = crate::store::sqlite_file(database)?;
    if !source.is_file() {
        bail!("there is no SQLite database at {} to back up (check --database)", source.display());
    }
    Ok(())
}

/// Writes a copy of the store's database to `target`, which must not exist.
pub async fn run(store: &dyn Store, database: &str, target: &Path) -> anyhow::Result<()> {
    check(database, target)?;
    store.backup_to(target).await.with_context(|| format!("cannot write the backup to {}", target.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_and_existing_files_are_refused() {
        let err = check("postgres://localhost/playerbase", Path::new("/nonexistent/x.db")).unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        let database = tempfile::NamedTempFile::new().unwrap();
        let database = database.path().to_str().unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = check(database, file.path()).unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
        assert!(check(database, Path::new("/nonexistent/x.db")).is_ok());
    }

    #[test]
    fn a_missing_database_is_refused_rather_than_created_and_backed_up_empty() {
        for database in ["/nonexistent/playerbase.db", "sqlite:///nonexistent/playerbase.db"] {
            let err = check(database, Path::new("/nonexistent/x.db")).unwrap_err();
            assert!(err.to_string().contains("no SQLite database at /nonexistent/playerbase.db"), "{err}");
        }
    }
}
