//! A fresh database per test, on the backend the environment picks: a
//! PostgreSQL database of its own on the server named by
//! `PLAYERBASE_TEST_POSTGRES` when that holds a URL, else a temporary
//! SQLite file. Either way it is gone when the test ends.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tempfile::TempDir;

/// The variable naming the PostgreSQL server the suite runs against.
pub const POSTGRES_VAR: &str = "PLAYERBASE_TEST_POSTGRES";

/// The PostgreSQL URL the suite runs against, if one is set.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_VAR).ok().filter(|url| !url.trim().is_empty())
}

pub struct FreshDatabase {
    /// What goes into `Config::database` or `--database`: a path or a URL.
    pub database: String,
    _guard: Guard,
}

enum Guard {
    Sqlite(#[allow(dead_code)] TempDir),
    Postgres { admin: String, name: String },
}

impl FreshDatabase {
    /// A fresh database on the backend the environment picks.
    pub async fn new() -> Self {
        match postgres_url() {
            Some(admin) => Self::postgres(admin).await,
            None => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("playerbase.db").to_str().unwrap().to_owned();
        Self { database, _guard: Guard::Sqlite(dir) }
    }

    /// A new database on the server of `admin` (a URL whose role may create databases).
    pub async fn postgres(admin: String) -> Self {
        let name = format!("pbtest_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|err| panic!("{POSTGRES_VAR} is set but its server does not answer: {err}"));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        // A test database need not survive a crash: commits skip the wait for the disk.
        sqlx::query(&format!("ALTER DATABASE {name} SET synchronous_commit = off")).execute(&mut conn).await.unwrap();
        conn.close().await.ok();
        let database = with_database(&admin, &name);
        Self { database, _guard: Guard::Postgres { admin, name } }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self._guard, Guard::Postgres { .. })
    }

    /// A pool of the database's own backend, for SQL that reads the same on both.
    pub async fn pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url =
            if self.is_postgres() { self.database.clone() } else { format!("sqlite:{}", self.database) };
        sqlx::AnyPool::connect(&url).await.unwrap()
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let Guard::Postgres { admin, name } = &self._guard else { return };
        let (admin, name) = (admin.clone(), name.clone());
        let label = name.clone();
        // Drop runs inside the test's runtime, which must not block on itself.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin).await?;
                // FORCE ends the connections the app under test still holds.
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {label}");
        }
    }
}

/// `url` with its database replaced by `name`: `postgres://u:p@host:5432/old?x=y` → `…/name?x=y`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let authority = rest.split_once('/').map_or(rest, |(authority, _)| authority);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[test]
fn with_database_replaces_only_the_database() {
    assert_eq!(with_database("postgres://u:p@h:5/old?sslmode=disable", "new"), "postgres://u:p@h:5/new?sslmode=disable");
    assert_eq!(with_database("postgresql://h", "new"), "postgresql://h/new");
}
