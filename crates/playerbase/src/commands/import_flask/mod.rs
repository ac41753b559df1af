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

/// The Flask database's `users` table, as read.
pub struct FlaskDatabase {
    /// Where it was read from, for the report.
    pub source: String,
    pub columns: Vec<String>,
    pub rows: Vec<FlaskRow>,
}

/// Imports (or, with `dry_run`, only checks) the Flask database read by
/// [`read_flask`], writes the report to `out` and returns it. Read the
/// Flask database before opening the store: one that cannot be read then
/// leaves no new, empty target database behind.
pub async fn run(
    store: &dyn Store,
    catalog: &StatCatalog,
    flask: &FlaskDatabase,
    dry_run: bool,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<Report> {
    let existing = existing(store, &flask.rows).await?;
    let (players, mut report) = rows::plan(&flask.rows, &flask.columns, catalog, &existing, now);
    report.source = flask.source.clone();
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
pub async fn read_flask(path: &Path) -> anyhow::Result<FlaskDatabase> {
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
            bail!("{} has no users table with the column {required}: is it the Flask API's database?", path.display());
        }
    }
    let has_email = columns.iter().any(|c| c == "email");
    let stat_columns: Vec<&str> =
        FLASK_STATS.iter().map(|(column, _)| *column).filter(|c| columns.iter().any(|have| have == c)).collect();
    let mut sql = format!(
        "SELECT typeof(id), CAST(id AS TEXT), CAST(username AS TEXT), {}, CAST(password_hash AS TEXT)",
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
            let kind: String = record.try_get(5 + 2 * i)?;
            let text: Option<String> = record.try_get(6 + 2 * i)?;
            stats.push(((*column).to_owned(), raw(&kind, text)));
        }
        let (id_kind, id_text): (String, Option<String>) = (record.try_get(0)?, record.try_get(1)?);
        let id = match id_text.as_deref().map(str::parse::<i64>) {
            Some(Ok(id)) => id,
            _ => bail!(
                "{}: a users.id of {} ({id_kind}) is not a whole number; the Flask API's ids are integers, \
                 so this is not its database or it was changed by hand",
                path.display(),
                id_text.as_deref().unwrap_or("NULL"),
            ),
        };
        rows.push(FlaskRow {
            id,
            username: record.try_get(2)?,
            email: record.try_get(3)?,
            password_hash: record.try_get(4)?,
            stats,
        });
    }
    conn.close().await?;
    Ok(FlaskDatabase { source: path.display().to_string(), columns, rows })
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
        if let Some(name) = row.username.as_deref().and_then(|raw| Username::parse(raw).ok())
            && let Some(player) = store.player_by_username(&name).await?
        {
            existing.usernames.insert(name.key(), player.id);
        }
        if let Some(email) = row.email.as_deref().and_then(|raw| Email::parse(raw).ok())
            && let Some(player) = store.player_by_email(&email).await?
        {
            existing.emails.insert(email.key(), player.id);
        }
    }
    Ok(existing)
}
