//! `playerbase migrate-database --from SQLITE --to POSTGRES`: copies a whole
//! SQLite database into an empty PostgreSQL one, ids and hashes as they are.
//!
//! A tool over both schemas, not a store operation: it reads and writes the
//! tables directly, through [`TABLES`], the one list of what is copied. Both
//! sides are checked against that list before anything is written, so a
//! migration that adds a table or a column fails here loudly instead of
//! being left behind silently.
//!
//! Everything is written in one PostgreSQL transaction, read from one SQLite
//! read transaction (one snapshot, even of a live database): the target ends
//! up with all of it, counted and summed against the source, or with none.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::{Context, bail};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnection, Postgres};
use sqlx::sqlite::SqliteConnection;
use sqlx::{QueryBuilder, Row};

use crate::store::{PgStore, SqliteStore, Store, is_postgres, sqlite_file};

/// How a column is read from SQLite and bound for PostgreSQL (every one may be NULL
/// here; the target's constraints say which may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// INTEGER / BIGINT
    Int,
    /// TEXT
    Text,
    /// BLOB / BYTEA
    Blob,
}

/// A table as copied: its columns in order, the order rows are read in, and
/// whether `id` is an identity (AUTOINCREMENT) whose sequence must move past the copied ids.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order_by: &'static str,
    identity: bool,
    /// Columns only the SQLite schema has, not copied: how its award writer
    /// finds a player's ledger rows, and the running periods' values, which
    /// PostgreSQL keeps in `period_stats` (on SQLite a view of them).
    sqlite_only: &'static [&'static str],
}

const NONE: &[&str] = &[];

use Kind::{Blob, Int, Text};

/// Every table playerbase keeps, parents before children (foreign keys are
/// checked as rows arrive). The one place the copied columns are listed.
const TABLES: &[Table] = &[
    Table {
        name: "players",
        columns: &[
            ("id", Int),
            ("username", Text),
            ("username_key", Text),
            ("email", Text),
            ("email_key", Text),
            ("password_hash", Text),
            ("twitch_user_id", Text),
            ("twitch_login", Text),
            ("created_at", Int),
            ("username_from_twitch", Int),
        ],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "player_stats",
        columns: &[("player_id", Int), ("stat", Text), ("value", Int)],
        order_by: "player_id, stat",
        identity: false,
        sqlite_only: &[
            "last_ledger_id",
            "day_start",
            "day_value",
            "week_start",
            "week_value",
            "month_start",
            "month_value",
            "stream_start",
            "stream_value",
        ],
    },
    Table {
        name: "known_addresses",
        columns: &[("player_id", Int), ("network", Text), ("known_until", Int)],
        order_by: "player_id, network",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "sessions",
        columns: &[("id", Int), ("player_id", Int), ("created_at", Int)],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "tokens",
        columns: &[("hash", Blob), ("session_id", Int), ("kind", Text), ("expires_at", Int), ("spent_at", Int)],
        order_by: "hash",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "api_keys",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("hash", Blob),
            ("scopes", Text),
            ("created_at", Int),
            ("revoked_at", Int),
        ],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "ledger",
        columns: &[
            ("id", Int),
            ("player_id", Int),
            ("stat", Text),
            ("amount", Int),
            ("value_after", Int),
            ("source", Text),
            ("reason", Text),
            ("at", Int),
            ("twitch_message_id", Text),
        ],
        order_by: "id",
        identity: true,
        sqlite_only: &["prev_id"],
    },
    Table {
        name: "period_stats",
        columns: &[("kind", Text), ("starts_at", Int), ("player_id", Int), ("stat", Text), ("value", Int)],
        order_by: "kind, starts_at, player_id, stat",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "idempotency_keys",
        columns: &[
            ("owner", Int),
            ("key", Text),
            ("request_hash", Blob),
            ("status", Int),
            ("body", Text),
            ("created_at", Int),
        ],
        order_by: "owner, key",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "eventsub_messages",
        columns: &[
            ("id", Int),
            ("message_id", Text),
            ("subscription_type", Text),
            ("body", Text),
            ("sent_at_ms", Int),
            ("received_at", Int),
            ("applied_at", Int),
        ],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "eventsub_revocations",
        columns: &[("id", Int), ("subscription_id", Text), ("subscription_type", Text), ("status", Text), ("at", Int)],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "twitch_streams",
        columns: &[("id", Int), ("stream_id", Text), ("started_at", Int), ("ended_at", Int)],
        order_by: "id",
        identity: true,
        sqlite_only: NONE,
    },
    Table {
        name: "twitch_early_offlines",
        columns: &[("at", Int)],
        order_by: "at",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "twitch_cooldowns",
        columns: &[("twitch_user_id", Text), ("rule", Text), ("last_at_ms", Int)],
        order_by: "twitch_user_id, rule",
        identity: false,
        sqlite_only: NONE,
    },
    Table {
        name: "twitch_logins",
        columns: &[
            ("hash", Blob),
            ("kind", Text),
            ("player_id", Int),
            ("redirect", Text),
            ("code_challenge", Text),
            ("expires_at", Int),
            ("browser", Blob),
            ("twitch_user_id", Text),
            ("twitch_login", Text),
        ],
        order_by: "hash",
        identity: false,
        sqlite_only: NONE,
    },
];

/// Tables of the SQLite file that are not data: its own bookkeeping and the migrations'.
fn is_bookkeeping(table: &str) -> bool {
    table.starts_with("sqlite_") || table.starts_with("_sqlx")
}

/// Rows per INSERT: well under PostgreSQL's 65,535 bound parameters at 9 columns.
const BATCH_ROWS: usize = 1000;

/// Sums compared between the two sides after the copy, as `(label, table,
/// group, column)`: `column` summed per `group`, an SQL expression.
const CHECKS: &[(&str, &str, &str, &str)] = &[
    ("player_stats.value per stat", "player_stats", "stat", "value"),
    ("period_stats.value per period kind and stat", "period_stats", "kind || ':' || stat", "value"),
    ("ledger.amount per stat", "ledger", "stat", "amount"),
];

/// SQL that reads the same on both sides and yields `(TEXT, BIGINT)` rows:
/// the sums of `column`'s high and low 32 bits per `group`. One sum of
/// values near the 64-bit bounds overflows (SQLite's SUM then fails the
/// whole copy); each half's sum fits for two billion rows.
fn sums_sql(table: &str, group: &str, column: &str) -> String {
    format!(
        "SELECT {group} || ' high', CAST(SUM({column} >> 32) AS BIGINT) FROM {table} GROUP BY {group} \
         UNION ALL SELECT {group} || ' low', CAST(SUM({column} & 4294967295) AS BIGINT) FROM {table} GROUP BY {group}"
    )
}

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Rows per table, in copy order.
    pub rows: Vec<(&'static str, u64)>,
    /// Each identity's sequence value after the copy: the next id handed out is above it.
    pub identities: Vec<(&'static str, i64)>,
}

/// Refuses what this command does not do, before any database is opened.
pub fn check(from: &str, to: &str) -> anyhow::Result<()> {
    if is_postgres(from) {
        bail!(
            "migrate-database copies a SQLite database into PostgreSQL; --from is a PostgreSQL URL \
             (to copy between PostgreSQL databases use pg_dump and pg_restore)"
        );
    }
    if !is_postgres(to) {
        bail!(
            "migrate-database copies a SQLite database into PostgreSQL; --to must be a postgres:// URL \
             (to copy a SQLite database to another file use playerbase backup)"
        );
    }
    let path = sqlite_file(from).map_err(|err| anyhow::anyhow!("--from: {err}"))?;
    if !path.is_file() {
        bail!("there is no SQLite database at {}", path.display());
    }
    Ok(())
}

/// Copies the SQLite database `from` into the empty PostgreSQL database `to`
/// (both migrated first) and writes the report to `out`.
pub async fn run(from: &str, to: &str, out: &mut impl Write) -> anyhow::Result<Report> {
    check(from, to)?;
    let source = SqliteStore::open(from).await?;
    let target = match PgStore::open(to).await {
        Ok(target) => target,
        Err(err) => {
            source.close().await;
            return Err(err);
        }
    };
    let result = copy(&source, &target).await;
    source.close().await;
    target.close().await;
    let report = result?;
    write_report(&report, out)?;
    Ok(report)
}

async fn copy(source: &SqliteStore, target: &PgStore) -> anyhow::Result<Report> {
    // One read transaction: every table is read from the same snapshot.
    let mut src = source.reader_pool().begin().await.context("cannot read the SQLite database")?;
    check_source_schema(&mut src).await?;
    let mut dst = target.pool().begin().await.context("cannot start a PostgreSQL transaction")?;
    match copy_into(&mut src, &mut dst).await {
        Ok(report) => {
            dst.commit().await.context("cannot commit the copy into PostgreSQL")?;
            src.rollback().await.ok();
            Ok(report)
        }
        Err(err) => {
            dst.rollback().await.ok();
            src.rollback().await.ok();
            Err(err.context("nothing was written to PostgreSQL"))
        }
    }
}

/// The source holds exactly the tables and columns of [`TABLES`].
async fn check_source_schema(src: &mut SqliteConnection) -> anyhow::Result<()> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut *src).await?;
    for table in tables.iter().filter(|t| !is_bookkeeping(t)) {
        if !TABLES.iter().any(|known| known.name == table) {
            bail!("the SQLite database has a table migrate-database does not know: {table}");
        }
    }
    for table in TABLES {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?)").bind(table.name).fetch_all(&mut *src).await?;
        let copied = columns.into_iter().filter(|column| !table.sqlite_only.contains(&column.as_str())).collect();
        same_columns("SQLite", table, copied)?;
    }
    Ok(())
}

async fn check_target_schema(dst: &mut PgConnection) -> anyhow::Result<()> {
    for table in TABLES {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table.name)
        .fetch_all(&mut *dst)
        .await?;
        same_columns("PostgreSQL", table, columns)?;
    }
    Ok(())
}

fn same_columns(side: &str, table: &Table, found: Vec<String>) -> anyhow::Result<()> {
    let found: BTreeSet<String> = found.into_iter().collect();
    let known: BTreeSet<String> = table.columns.iter().map(|(c, _)| (*c).to_owned()).collect();
    if found != known {
        bail!("the {side} table {} has columns {:?}, migrate-database copies {:?}", table.name, found, known);
    }
    Ok(())
}

async fn copy_into(src: &mut SqliteConnection, dst: &mut PgConnection) -> anyhow::Result<Report> {
    check_target_schema(dst).await?;
    // No instance writes while the copy runs (reads go on); wait for a lock only so long.
    sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *dst).await?;
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    sqlx::query(&format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", ")))
        .execute(&mut *dst)
        .await
        .context("cannot lock the PostgreSQL tables (is a server writing to them?)")?;
    let mut holding = Vec::new();
    for table in TABLES {
        let any: bool =
            sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {})", table.name)).fetch_one(&mut *dst).await?;
        if any {
            holding.push(table.name);
        }
    }
    if !holding.is_empty() {
        bail!(
            "the PostgreSQL database is not empty: {} {} rows; migrate-database copies only into an empty database",
            holding.join(", "),
            if holding.len() == 1 { "holds" } else { "hold" }
        );
    }

    let mut rows = Vec::new();
    for table in TABLES {
        let copied = copy_table(table, src, dst).await.with_context(|| format!("cannot copy table {}", table.name))?;
        rows.push((table.name, copied));
    }

    let mut identities = Vec::new();
    for table in TABLES.iter().filter(|t| t.identity) {
        // AUTOINCREMENT's highest id ever, deleted rows' included: those ids stay unused.
        let highest: i64 = sqlx::query_scalar(&format!(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), \
                        COALESCE((SELECT MAX(id) FROM {}), 0))",
            table.name
        ))
        .bind(table.name)
        .fetch_one(&mut *src)
        .await?;
        if highest > 0 {
            sqlx::query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)")
                .bind(table.name)
                .bind(highest)
                .execute(&mut *dst)
                .await
                .with_context(|| format!("cannot move the identity of {} past {highest}", table.name))?;
        }
        identities.push((table.name, highest));
    }

    verify(&rows, src, dst).await?;
    Ok(Report { rows, identities })
}

/// One column value as read from SQLite.
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

/// Streams the table out of SQLite and into PostgreSQL, [`BATCH_ROWS`] rows per INSERT.
async fn copy_table(table: &Table, src: &mut SqliteConnection, dst: &mut PgConnection) -> anyhow::Result<u64> {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let select = format!("SELECT {} FROM {} ORDER BY {}", columns.join(", "), table.name, table.order_by);
    let insert = format!("INSERT INTO {} ({}) ", table.name, columns.join(", "));
    let mut stream = sqlx::query(&select).fetch(&mut *src);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH_ROWS);
    let mut copied = 0u64;
    while let Some(row) = stream.try_next().await? {
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, (_, kind)) in table.columns.iter().enumerate() {
            values.push(match kind {
                Int => Value::Int(row.try_get(i)?),
                Text => Value::Text(row.try_get(i)?),
                Blob => Value::Blob(row.try_get(i)?),
            });
        }
        batch.push(values);
        if batch.len() == BATCH_ROWS {
            copied += insert_batch(&insert, &mut batch, dst).await?;
        }
    }
    if !batch.is_empty() {
        copied += insert_batch(&insert, &mut batch, dst).await?;
    }
    Ok(copied)
}

async fn insert_batch(insert: &str, batch: &mut Vec<Vec<Value>>, dst: &mut PgConnection) -> anyhow::Result<u64> {
    let mut query: QueryBuilder<'_, Postgres> = QueryBuilder::new(insert);
    query.push_values(batch.drain(..), |mut row, values| {
        for value in values {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v),
                Value::Blob(v) => row.push_bind(v),
            };
        }
    });
    Ok(query.build().execute(&mut *dst).await?.rows_affected())
}

/// Counts per table, and [`CHECKS`]' sums, equal on both sides (inside the
/// target's transaction, so a mismatch still rolls everything back).
async fn verify(rows: &[(&str, u64)], src: &mut SqliteConnection, dst: &mut PgConnection) -> anyhow::Result<()> {
    for &(table, copied) in rows {
        let count = format!("SELECT COUNT(*) FROM {table}");
        let in_source: i64 = sqlx::query_scalar(&count).fetch_one(&mut *src).await?;
        let in_target: i64 = sqlx::query_scalar(&count).fetch_one(&mut *dst).await?;
        if in_source as u64 != copied || in_target != in_source {
            bail!("{table}: {in_source} rows in SQLite, {copied} copied, {in_target} in PostgreSQL");
        }
    }
    for (label, table, group, column) in CHECKS {
        let sql = sums_sql(table, group, column);
        let in_source: BTreeMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>(&sql).fetch_all(&mut *src).await?.into_iter().collect();
        let in_target: BTreeMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>(&sql).fetch_all(&mut *dst).await?.into_iter().collect();
        if in_source != in_target {
            bail!("the sums of {label} differ: SQLite {in_source:?}, PostgreSQL {in_target:?}");
        }
    }
    Ok(())
}

/// ```text
/// table                  rows
/// players                 120
/// ...
/// next ids above: players 120, sessions 310, api_keys 2, ledger 4410
/// checked: row counts per table, sums of player_stats.value per stat, ...
/// ```
fn write_report(report: &Report, out: &mut impl Write) -> anyhow::Result<()> {
    writeln!(out, "{:<20} {:>10}", "table", "rows")?;
    for (table, rows) in &report.rows {
        writeln!(out, "{table:<20} {rows:>10}")?;
    }
    let identities: Vec<String> = report.identities.iter().map(|(t, id)| format!("{t} {id}")).collect();
    writeln!(out, "next ids above: {}", identities.join(", "))?;
    let sums: Vec<&str> = CHECKS.iter().map(|(label, ..)| *label).collect();
    writeln!(out, "checked: row counts per table, sums of {}", sums.join(", "))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sums_hold_values_at_the_64_bit_bounds_exactly() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE ledger (stat TEXT, amount INTEGER)").unwrap();
        let amounts = [i64::MAX, i64::MAX - 1, i64::MIN, 7, i64::MAX, -1];
        for amount in amounts {
            db.execute("INSERT INTO ledger VALUES ('xp', ?1)", [amount]).unwrap();
        }
        let mut halves = std::collections::HashMap::new();
        let mut query = db.prepare(&sums_sql("ledger", "stat", "amount")).unwrap();
        let rows = query.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))).unwrap();
        for row in rows {
            let (label, sum) = row.unwrap();
            halves.insert(label, sum);
        }
        let whole = i128::from(halves["xp high"]) * (1 << 32) + i128::from(halves["xp low"]);
        assert_eq!(whole, amounts.iter().map(|&a| i128::from(a)).sum::<i128>());
    }

    #[test]
    fn only_sqlite_into_postgres_is_accepted() {
        let err = check("postgres://h/a", "postgres://h/b").unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        let err = check("a.db", "b.db").unwrap_err();
        assert!(err.to_string().contains("--to must be a postgres:// URL"), "{err}");
        let err = check("/nonexistent/a.db", "postgres://h/b").unwrap_err();
        assert!(err.to_string().contains("no SQLite database at /nonexistent/a.db"), "{err}");
        let err = check("sqlite:/nonexistent/a.db?mode=ro", "postgres://h/b").unwrap_err();
        assert!(err.to_string().contains("no SQLite database at /nonexistent/a.db"), "{err}");
        let err = check("sqlite::memory:", "postgres://h/b").unwrap_err();
        assert!(err.to_string().contains("in-memory"), "{err}");
        let file = tempfile::NamedTempFile::new().unwrap();
        assert!(check(file.path().to_str().unwrap(), "postgresql://h/b").is_ok());
    }

    #[test]
    fn every_table_is_listed_once_with_its_columns() {
        let names: BTreeSet<&str> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), TABLES.len());
        for table in TABLES {
            assert_eq!(table.identity, table.columns.first() == Some(&("id", Int)), "{}", table.name);
            assert!(table.columns.len() * BATCH_ROWS < 65_535, "{}", table.name);
        }
    }
}
