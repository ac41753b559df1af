//! The database the server runs on, reached straight (not through the
//! server): a SQLite file, or a schema of the bench's own in PostgreSQL.
//! Seeding, the direct baselines and the totals the award runs are checked
//! against, the same on both.

pub mod postgres;
pub mod sqlite;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use rand::rngs::SmallRng;

use crate::STATS;
use crate::audience::Audience;
use crate::load::Credit;

/// Values are seeded uniformly below this (about level 93 in the runescape curve).
pub const SEED_VALUE_MAX: i64 = 5_000_000;

pub enum Database {
    Sqlite(PathBuf),
    Postgres {
        /// The URL the bench was given: its role creates and drops the schemas.
        admin: String,
        schema: String,
        /// `admin` with its connections in `schema`: what the servers get.
        url: String,
    },
}

impl Database {
    /// A SQLite file at `path`, not there yet.
    pub fn sqlite(path: PathBuf) -> Self {
        Database::Sqlite(path)
    }

    /// A new, empty schema named `schema` in the database of `admin`.
    pub async fn postgres(admin: &str, schema: &str) -> anyhow::Result<Self> {
        postgres::create_schema(admin, schema).await?;
        let url = postgres::in_schema(admin, schema);
        Ok(Database::Postgres { admin: admin.to_owned(), schema: schema.to_owned(), url })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "SQLite",
            Database::Postgres { .. } => "PostgreSQL",
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }

    /// What `--database` of the server gets.
    pub fn server_arg(&self) -> OsString {
        match self {
            Database::Sqlite(path) => path.clone().into(),
            Database::Postgres { url, .. } => url.into(),
        }
    }

    pub async fn seed_players(&self, count: u64, rng: &mut SmallRng) -> anyhow::Result<Duration> {
        match self {
            Database::Sqlite(path) => sqlite::seed_players(path, count, rng),
            Database::Postgres { url, .. } => postgres::seed_players(url, count, rng).await,
        }
    }

    /// The file's size, or the schema's tables and indexes.
    pub async fn size(&self) -> anyhow::Result<u64> {
        match self {
            Database::Sqlite(path) => Ok(std::fs::metadata(path)?.len()),
            Database::Postgres { url, schema, .. } => postgres::size(url, schema).await,
        }
    }

    /// The time to read every `player_stats` row, the row count, and `stat`'s values by player id.
    pub async fn read_all_values(&self, stat: &str) -> anyhow::Result<(Duration, u64, Vec<i64>)> {
        match self {
            Database::Sqlite(path) => sqlite::read_all_values(path, stat),
            Database::Postgres { url, .. } => postgres::read_all_values(url, stat).await,
        }
    }

    /// An identical copy, for the baselines that write: a copy of the file,
    /// or a schema of its own migrated by `migrate` (which gets the copy's
    /// `--database`) and filled from this one.
    pub async fn copy(
        &self,
        suffix: &str,
        migrate: impl FnOnce(&OsString) -> anyhow::Result<()>,
    ) -> anyhow::Result<Self> {
        match self {
            Database::Sqlite(path) => {
                let copy = path.with_file_name(format!("{suffix}.db"));
                std::fs::copy(path, &copy)?;
                Ok(Database::Sqlite(copy))
            }
            Database::Postgres { admin, schema, .. } => {
                let copy = Database::postgres(admin, &format!("{schema}_{suffix}")).await?;
                migrate(&copy.server_arg())?;
                if let Database::Postgres { url, .. } = &copy {
                    postgres::copy_players(url, schema).await?;
                }
                Ok(copy)
            }
        }
    }

    /// The database's rate for the award rows, `per_tx` awards per
    /// transaction; `cache_mib` is SQLite's page cache (PostgreSQL's is the server's).
    pub async fn direct_awards(
        &self,
        audience: &Audience,
        awards: u64,
        per_tx: u64,
        cache_mib: Option<u64>,
        rng: &mut SmallRng,
    ) -> anyhow::Result<(Duration, Credit)> {
        match self {
            Database::Sqlite(path) => sqlite::direct_awards(path, audience, awards, per_tx, cache_mib, rng),
            Database::Postgres { url, .. } => postgres::direct_awards(url, audience, awards, per_tx, rng).await,
        }
    }

    pub async fn totals(&self) -> anyhow::Result<Totals> {
        match self {
            Database::Sqlite(path) => sqlite::totals(path),
            Database::Postgres { url, .. } => postgres::totals(url).await,
        }
    }

    /// Removes the file (with its WAL) or drops the schema.
    pub async fn discard(self) -> anyhow::Result<()> {
        match self {
            Database::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Ok(())
            }
            Database::Postgres { admin, schema, .. } => postgres::drop_schema(&admin, &schema).await,
        }
    }
}

/// What the award routes are checked against, read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub all_time: [i64; STATS.len()],
    /// Per stat, the sum over every day (week, month) period.
    pub day: [i64; STATS.len()],
    pub week: [i64; STATS.len()],
    pub month: [i64; STATS.len()],
    pub ledger_rows: i64,
    pub ledger_amounts: [i64; STATS.len()],
}

/// Whether the database moved by exactly what was acknowledged; the reason if not.
pub fn check(before: &Totals, after: &Totals, sent: &Credit) -> Result<(), String> {
    let diff =
        |a: &[i64; STATS.len()], b: &[i64; STATS.len()]| -> [i64; STATS.len()] { std::array::from_fn(|i| b[i] - a[i]) };
    let mut wrong = Vec::new();
    for (what, moved) in [
        ("player_stats", diff(&before.all_time, &after.all_time)),
        ("period_stats day", diff(&before.day, &after.day)),
        ("period_stats week", diff(&before.week, &after.week)),
        ("period_stats month", diff(&before.month, &after.month)),
        ("ledger amounts", diff(&before.ledger_amounts, &after.ledger_amounts)),
    ] {
        if moved != sent.per_stat {
            wrong.push(format!("{what} moved by {moved:?}, acknowledged {:?}", sent.per_stat));
        }
    }
    let rows = after.ledger_rows - before.ledger_rows;
    if rows != sent.awards as i64 {
        wrong.push(format!("{rows} ledger rows added, {} awards acknowledged", sent.awards));
    }
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("; ")) }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
