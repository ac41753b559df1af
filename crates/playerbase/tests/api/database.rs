//! A fresh database per test, on the backend the environment picks: a
//! schema of its own in the PostgreSQL database named by
//! `PLAYERBASE_TEST_POSTGRES` when that holds a URL, else a temporary
//! SQLite file. Either way it is gone when the test ends.
//!
//! A schema rather than a database: creating and dropping a database costs
//! a checkpoint each, a schema next to nothing. The app's URL names it
//! through `options=-c search_path=…`, which libpq tools understand too.

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

    /// A new schema in the database of `admin` (a URL whose role may create schemas).
    pub async fn postgres(admin: String) -> Self {
        let name = format!("pbtest_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|err| panic!("{POSTGRES_VAR} is set but its server does not answer: {err}"));
        sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&mut conn).await.unwrap();
        conn.close().await.ok();
        let database = in_schema(&admin, &name);
        Self { database, _guard: Guard::Postgres { admin, name } }
    }
}

/// A pool on `database` (a SQLite path or a PostgreSQL URL), for SQL that reads the same on both.
pub async fn pool(database: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = if playerbase::store::is_postgres(database) { database.to_owned() } else { format!("sqlite:{database}") };
    sqlx::AnyPool::connect(&url).await.unwrap()
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
                // The test's runtime is blocked on this thread, so a transaction the
                // app dropped never gets its rollback sent: end the sessions that hold
                // locks in the schema, then drop it.
                sqlx::query("SET lock_timeout = '2s'").execute(&mut conn).await?;
                let mut attempts = 0;
                loop {
                    sqlx::query(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
                         JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()",
                    )
                    .bind(&name)
                    .execute(&mut conn)
                    .await?;
                    match sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).execute(&mut conn).await {
                        Err(_) if attempts < 3 => attempts += 1,
                        done => break done.map(drop),
                    }
                }?;
                conn.close().await
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("could not drop the test schema {label}: {err}"),
            Err(_) => eprintln!("could not drop the test schema {label}: the dropping thread panicked"),
        }
    }
}

/// `url` with its connections working in schema `name`, and committing
/// without waiting for the disk (a test database need not survive a crash).
pub fn in_schema(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{name}%20-c%20synchronous_commit%3Doff")
}

#[test]
fn in_schema_adds_to_the_query() {
    assert_eq!(
        in_schema("postgres://u:p@h:5/db?sslmode=disable", "s"),
        "postgres://u:p@h:5/db?sslmode=disable&options=-c%20search_path%3Ds%20-c%20synchronous_commit%3Doff"
    );
    assert!(in_schema("postgres://h/db", "s").starts_with("postgres://h/db?options="));
}
