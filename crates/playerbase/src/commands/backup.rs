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
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = check("playerbase.db", file.path()).unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
        assert!(check("playerbase.db", Path::new("/nonexistent/x.db")).is_ok());
    }
}
