//! After the soak, with the server stopped: did the EventSub deliveries do
//! exactly what they should? Every distinct message stored once and
//! applied, resends not applied again, the ledger rows and amounts each
//! event type's rule gives, every viewer named a player, the stream
//! started and ended. Read straight from the SQLite file.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::eventsub::Log;

/// The comparison as a Markdown table, and whether every row matched.
pub struct Checked {
    pub table: String,
    pub ok: bool,
}

pub fn eventsub(database: &Path, log: &Log) -> anyhow::Result<Checked> {
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (stored, applied): (i64, i64) =
        conn.query_row("SELECT COUNT(*), COUNT(applied_at) FROM eventsub_messages", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let by_type = grouped(&conn, "SELECT subscription_type, COUNT(*), 0, 0 FROM eventsub_messages GROUP BY 1")?;
    let ledger = grouped(
        &conn,
        "SELECT substr(source, 8), COUNT(*), SUM(amount), COUNT(DISTINCT twitch_message_id) FROM ledger \
         WHERE source LIKE 'twitch:%' GROUP BY source",
    )?;
    let players: i64 =
        conn.query_row("SELECT COUNT(*) FROM players WHERE twitch_user_id IS NOT NULL", [], |r| r.get(0))?;
    let (streams, ended): (i64, i64) =
        conn.query_row("SELECT COUNT(*), COUNT(ended_at) FROM twitch_streams", [], |r| Ok((r.get(0)?, r.get(1)?)))?;

    let mut ok = true;
    let mut table = String::from(
        "| EventSub check (database after the run) | Expected (from the acknowledged deliveries) | Found | Match |\n|---|---|---|---|\n",
    );
    let mut row = |what: String, expected: String, found: String| {
        let matched = expected == found;
        ok &= matched;
        table.push_str(&format!("| {what} | {expected} | {found} | {} |\n", crate::report::verdict(matched)));
    };
    let distinct = log.distinct() as i64;
    row(
        format!("`eventsub_messages` rows, applied (of {} resends acknowledged, none stored again)", log.resent),
        format!("{distinct}, {distinct}"),
        format!("{stored}, {applied}"),
    );
    for (kind, sent) in &log.messages {
        let (rows, amount) = log.ledger.get(kind).copied().unwrap_or_default();
        let found = by_type.get(*kind).map_or(0, |g| g.0);
        let (found_rows, found_amount, found_ids) = ledger.get(*kind).copied().unwrap_or_default();
        row(
            format!("`{kind}`: messages stored; ledger rows, their messages, amount"),
            format!("{sent}; {rows}, {rows}, {amount}"),
            format!("{found}; {found_rows}, {found_ids}, {found_amount}"),
        );
    }
    let unexpected: Vec<&String> =
        ledger.keys().chain(by_type.keys()).filter(|k| !log.messages.contains_key(k.as_str())).collect();
    row("types stored or in the ledger that were not sent".into(), "none".into(), list(&unexpected));
    row("players with a Twitch id (every viewer named)".into(), log.viewers.len().to_string(), players.to_string());
    row("streams started, ended".into(), "1, 1".into(), format!("{streams}, {ended}"));
    Ok(Checked { table, ok })
}

/// `key → (count, sum, distinct)` of a query giving those four columns.
fn grouped(conn: &Connection, sql: &str) -> anyhow::Result<BTreeMap<String, (i64, i64, i64)>> {
    let mut query = conn.prepare(sql)?;
    let rows = query.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn list(keys: &[&String]) -> String {
    if keys.is_empty() { "none".into() } else { keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ") }
}
