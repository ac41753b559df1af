//! `playerbase import-flask FLASK_DB.sqlite [--dry-run]`: brings the Flask
//! API's players over, with their ids, passwords (legacy hashes, replaced
//! at first login) and stats (each recorded in the ledger as `import`).
//!
//! The rules are in [`rows`]; this module reads the Flask database, asks the
//! store what it already holds, writes everything in one transaction, and
//! prints the report.

pub mod rows;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use crate::domain::{Email, StatCatalog, Username};
use crate::store::Store;
pub use rows::{Existing, FlaskRow, Raw, Report};
use rows::{FLASK_STATS, LEDGER_REASON};

/// Imports (or, with `dry_run`, only checks) the Flask database at
/// `flask_db`, writes the report to `out` and returns it.
pub async fn run(
    store: &dyn Store,
    catalog: &StatCatalog,
    flask_db: &Path,
    dry_run: bool,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<Report> {
    let (columns, rows) = read_flask(flask_db).await?;
    let existing = existing(store, &rows).await?;
    let (players, mut report) = rows::plan(&rows, &columns, catalog, &existing, now);
    report.source = flask_db.display().to_string();
    report.dry_run = dry_run;
    if !dry_run && !players.is_empty() {
        store
            .import_players(&players, LEDGER_REASON, now)
            .await
            .context("the import failed and wrote nothing (it is one transaction); fix the cause and run it again")?;
    }
    write!(out, "{report}")?;
    Ok(report)
}

/// The `users` table's column names and rows, by id.
pub async fn read_flask(path: &Path) -> anyhow::Result<(Vec<String>, Vec<FlaskRow>)> {
    if !path.is_file() {
        bail!("{} is not a file", path.display());
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))?;
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('users')")
        .fetch_all(&mut conn)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    for required in ["id", "username", "password_hash"] {
        if !columns.iter().any(|c| c == required) {
            bail!("{} has no users table with a {required} column: is it the Flask API's database?", path.display());
        }
    }
    let has_email = columns.iter().any(|c| c == "email");
    let stat_columns: Vec<&str> =
        FLASK_STATS.iter().map(|(column, _)| *column).filter(|c| columns.iter().any(|have| have == c)).collect();
    let mut sql = format!(
        "SELECT id, CAST(username AS TEXT), {}, CAST(password_hash AS TEXT)",
        if has_email { "CAST(email AS TEXT)" } else { "NULL" }
    );
    for column in &stat_columns {
        sql.push_str(&format!(", typeof(\"{column}\"), CAST(\"{column}\" AS TEXT)"));
    }
    sql.push_str(" FROM users ORDER BY id");
    let records = sqlx::query(&sql).fetch_all(&mut conn).await.context("cannot read the users table")?;
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        let mut stats = Vec::with_capacity(stat_columns.len());
        for (i, column) in stat_columns.iter().enumerate() {
            let kind: String = record.try_get(4 + 2 * i)?;
            let text: Option<String> = record.try_get(5 + 2 * i)?;
            stats.push(((*column).to_owned(), raw(&kind, text)));
        }
        rows.push(FlaskRow {
            id: record.try_get(0)?,
            username: record.try_get(1)?,
            email: record.try_get(2)?,
            password_hash: record.try_get(3)?,
            stats,
        });
    }
    conn.close().await?;
    Ok((columns, rows))
}

/// A cell from its SQLite type name and its text.
fn raw(kind: &str, text: Option<String>) -> Raw {
    let Some(text) = text else { return Raw::Null };
    match kind {
        "integer" => text.parse().map_or(Raw::Text(text), Raw::Integer),
        "real" => text.parse().map_or(Raw::Text(text), Raw::Real),
        "blob" => Raw::Blob,
        _ => Raw::Text(text),
    }
}

/// What the store holds for the rows' ids, usernames and emails.
async fn existing(store: &dyn Store, rows: &[FlaskRow]) -> anyhow::Result<Existing> {
    let mut existing = Existing { max_id_ever: store.max_player_id_ever().await?, ..Existing::default() };
    for row in rows {
        if let Some(player) = store.player_by_id(row.id).await? {
            existing.ids.insert(row.id, player.username.to_ascii_lowercase());
        }
        if let Some(name) = row.username.as_deref().and_then(|raw| Username::parse(raw).ok()) {
            if let Some(player) = store.player_by_username(&name).await? {
                existing.usernames.insert(name.key(), player.id);
            }
        }
        if let Some(email) = row.email.as_deref().and_then(|raw| Email::parse(raw).ok()) {
            if let Some(player) = store.player_by_email(&email).await? {
                existing.emails.insert(email.key(), player.id);
            }
        }
    }
    Ok(existing)
}
