//! The rules of the Flask import, without I/O: which rows come over, in
//! what form, and the report that says so. Nothing is changed silently:
//! every row that breaks today's rules is skipped or imported with a note.

use std::collections::HashMap;
use std::fmt;

use crate::auth::legacy::Scheme;
use crate::domain::{Email, StatCatalog, Username};
use crate::store::{ImportedPlayer, ImportedStat};

/// The Flask API's stat columns and the stat keys they became.
pub const FLASK_STATS: [(&str, &str); 10] = [
    ("meleeAtkXp", "meleeAtkXp"),
    ("magicAtkXp", "mageAtkXp"),
    ("rangeAtkXp", "rangeAtkXp"),
    ("healthXp", "healthXp"),
    ("shieldXp", "shieldXp"),
    ("evasionXp", "evasionXp"),
    ("sizeXp", "sizeXp"),
    ("blockXp", "blockXp"),
    ("ResistXp", "ResistXp"),
    ("speedXp", "speedXp"),
];

/// The `users` columns that are not stats.
pub const FLASK_ACCOUNT_COLUMNS: [&str; 4] = ["id", "username", "email", "password_hash"];

/// The reason written on every imported ledger row.
pub const LEDGER_REASON: &str = "imported from the Flask database";

/// A value as SQLite holds it: its columns are typed only loosely.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob,
}

/// One row of the Flask `users` table.
#[derive(Debug, Clone, Default)]
pub struct FlaskRow {
    pub id: i64,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    /// `(column, value)` for the stat columns the table has, in [`FLASK_STATS`] order.
    pub stats: Vec<(String, Raw)>,
}

/// What the target database already holds, for the rows' ids, names and emails.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// id → username key.
    pub ids: HashMap<i64, String>,
    /// username key → id.
    pub usernames: HashMap<String, i64>,
    /// email key → id.
    pub emails: HashMap<String, i64>,
    /// The highest player id the database ever handed out.
    pub max_id_ever: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRow {
    pub id: i64,
    pub username: String,
    /// What was changed or left out, one line each.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub id: i64,
    pub username: Option<String>,
    pub reason: String,
}

/// What an import did, or would do (`--dry-run`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub source: String,
    pub dry_run: bool,
    pub rows: usize,
    pub imported: Vec<ImportedRow>,
    pub skipped: Vec<SkippedRow>,
    /// Notes on whole columns: renamed, missing, unconfigured, unknown.
    pub columns: Vec<String>,
    /// Stat values written (each one a ledger row).
    pub values: usize,
}

impl Report {
    pub fn skipped_reason(&self, id: i64) -> Option<&str> {
        self.skipped.iter().find(|row| row.id == id).map(|row| row.reason.as_str())
    }

    pub fn notes_of(&self, id: i64) -> Option<&[String]> {
        self.imported.iter().find(|row| row.id == id).map(|row| row.notes.as_slice())
    }
}

fn name_of(username: Option<&str>) -> String {
    username.map_or_else(|| "(no username)".to_owned(), |name| format!("{name:?}"))
}

/// The report as printed. Never shows an email or a password hash.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "dry run: nothing was written")?;
        }
        writeln!(f, "read {} rows from the users table of {}", self.rows, self.source)?;
        writeln!(
            f,
            "imported: {} players, {} stat values (ledger source \"import\")",
            self.imported.len(),
            self.values
        )?;
        writeln!(f, "skipped: {} rows", self.skipped.len())?;
        if !self.columns.is_empty() {
            writeln!(f, "\ncolumns:")?;
            for note in &self.columns {
                writeln!(f, "  {note}")?;
            }
        }
        if !self.skipped.is_empty() {
            writeln!(f, "\nskipped:")?;
            for row in &self.skipped {
                writeln!(f, "  users.id {} {}: {}", row.id, name_of(row.username.as_deref()), row.reason)?;
            }
        }
        let noted: Vec<_> = self.imported.iter().filter(|row| !row.notes.is_empty()).collect();
        if !noted.is_empty() {
            writeln!(f, "\nimported with notes:")?;
            for row in noted {
                for note in &row.notes {
                    writeln!(f, "  users.id {} {}: {note}", row.id, name_of(Some(&row.username)))?;
                }
            }
        }
        Ok(())
    }
}

/// A stat cell read as an integer, or why it cannot be.
fn integer(raw: &Raw) -> Result<Option<i64>, String> {
    /// Integers a double holds exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match raw {
        Raw::Null => Ok(None),
        Raw::Integer(value) => Ok(Some(*value)),
        Raw::Real(value) if value.fract() == 0.0 && value.abs() <= EXACT => Ok(Some(*value as i64)),
        Raw::Real(value) => Err(format!("holds {value}, not an integer")),
        Raw::Text(text) => Err(format!("holds the text {text:?}, not an integer")),
        Raw::Blob => Err("holds binary data, not an integer".to_owned()),
    }
}

/// Notes on the table's columns, from its column names.
pub fn column_notes(columns: &[String], rows: &[FlaskRow], catalog: &StatCatalog) -> Vec<String> {
    let mut notes = Vec::new();
    for (column, key) in FLASK_STATS {
        if !columns.iter().any(|c| c == column) {
            notes.push(format!("{column}: no such column in users; every player keeps the default"));
        } else if catalog.get(key).is_none() {
            let holding = rows
                .iter()
                .filter(|row| {
                    row.stats.iter().any(|(c, raw)| c == column && !matches!(integer(raw), Ok(None | Some(0))))
                })
                .count();
            notes.push(format!("{column}: {key} is not a configured stat; {holding} rows hold a value, not imported"));
        } else if column != key {
            notes.push(format!("{column}: imported as {key}"));
        }
    }
    if !columns.iter().any(|c| c == "email") {
        notes.push("email: no such column in users; every player is imported without one".to_owned());
    }
    for column in columns {
        let known = FLASK_ACCOUNT_COLUMNS.contains(&column.as_str()) || FLASK_STATS.iter().any(|(c, _)| c == column);
        if !known {
            notes.push(format!("{column}: not a column of the Flask API; ignored"));
        }
    }
    notes
}

/// Decides every row, in id order: the first row to claim a username or an
/// email (ignoring case) keeps it.
pub fn plan(
    rows: &[FlaskRow],
    columns: &[String],
    catalog: &StatCatalog,
    existing: &Existing,
    now: i64,
) -> (Vec<ImportedPlayer>, Report) {
    let mut report = Report { rows: rows.len(), columns: column_notes(columns, rows, catalog), ..Report::default() };
    let mut players = Vec::new();
    let mut taken_names: HashMap<String, i64> = HashMap::new();
    let mut taken_emails: HashMap<String, i64> = HashMap::new();
    let mut sorted: Vec<&FlaskRow> = rows.iter().collect();
    sorted.sort_by_key(|row| row.id);
    for row in sorted {
        match check_row(row, catalog, existing, &taken_names, &taken_emails, now) {
            Ok((player, notes)) => {
                taken_names.insert(player.username.key(), row.id);
                if let Some(email) = &player.email {
                    taken_emails.insert(email.key(), row.id);
                }
                report.values += player.stats.len();
                report.imported.push(ImportedRow { id: row.id, username: player.username.to_string(), notes });
                players.push(player);
            }
            Err(reason) => report.skipped.push(SkippedRow { id: row.id, username: row.username.clone(), reason }),
        }
    }
    (players, report)
}

/// One row: the player to import with its notes, or why it is skipped.
pub fn check_row(
    row: &FlaskRow,
    catalog: &StatCatalog,
    existing: &Existing,
    taken_names: &HashMap<String, i64>,
    taken_emails: &HashMap<String, i64>,
    now: i64,
) -> Result<(ImportedPlayer, Vec<String>), String> {
    let raw_name = row.username.as_deref().ok_or("the username is NULL")?;
    let username = Username::parse(raw_name).map_err(|why| why.0)?;
    let key = username.key();

    let mut notes = Vec::new();
    let password_hash = match row.password_hash.as_deref() {
        None | Some("") => {
            notes.push("no password hash: imported without a password (cannot log in with one)".to_owned());
            None
        }
        Some(hash) => match Scheme::parse(hash) {
            Some(_) => Some(hash.to_owned()),
            None => return Err("the password hash is not a sha512-crypt or sha256-crypt hash".to_owned()),
        },
    };

    if let Some(held_by) = existing.ids.get(&row.id) {
        return Err(if *held_by == key {
            "already imported".to_owned()
        } else {
            format!("id {} belongs to another player in this database", row.id)
        });
    }
    if row.id < 1 {
        return Err(format!("id {} is not a positive number", row.id));
    }
    if row.id <= existing.max_id_ever {
        return Err(format!(
            "id {} is not free: this database has handed out ids up to {} and none has it now \
             (a player deleted since?); not imported, so that a deleted player does not come back",
            row.id, existing.max_id_ever
        ));
    }
    if let Some(other) = existing.usernames.get(&key) {
        return Err(format!("the username is taken in this database by player {other}"));
    }
    if let Some(first) = taken_names.get(&key) {
        return Err(format!("the same username ignoring case as users.id {first}, imported before it"));
    }

    // Flask stored what the form sent: spaces around an email are a typo, not part of it.
    let email = match row.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match Email::parse(raw) {
            Err(_) => {
                notes.push("email dropped: not an email address".to_owned());
                None
            }
            Ok(email) => {
                if let Some(first) = taken_emails.get(&email.key()) {
                    notes.push(format!("email dropped: the same email ignoring case as users.id {first}"));
                    None
                } else if let Some(other) = existing.emails.get(&email.key()) {
                    notes.push(format!("email dropped: taken in this database by player {other}"));
                    None
                } else {
                    Some(email)
                }
            }
        },
    };

    let mut stats = Vec::new();
    for (column, raw) in &row.stats {
        let Some(key) = FLASK_STATS.iter().find(|(c, _)| c == column).map(|(_, key)| *key) else { continue };
        let Some(def) = catalog.get(key) else { continue }; // reported once, for the column
        let value = match integer(raw) {
            Ok(Some(value)) => value,
            Ok(None) => {
                notes.push(format!("{column} is NULL: left at the default {}", def.default));
                continue;
            }
            Err(why) => {
                notes.push(format!("{column} {why}: not imported"));
                continue;
            }
        };
        if value == def.default {
            continue; // what the player shows without it
        }
        // The ledger row's amount is what, awarded to a new player, gives the value.
        let amount = match def.op {
            crate::domain::Op::Add => value.checked_sub(def.default),
            _ => Some(value),
        };
        match amount.map(|amount| (amount, def.apply(None, amount))) {
            Some((amount, Ok(after))) if after == value => {
                stats.push(ImportedStat { stat: key.to_owned(), amount, value });
            }
            Some((_, Err(why))) => notes.push(format!("{column} {value}: {}: not imported", why.0)),
            _ => notes.push(format!("{column} {value} cannot be reached from the default: not imported")),
        }
    }

    let player = ImportedPlayer { id: row.id, username, email, password_hash, created_at: now, stats };
    Ok((player, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{StatSpec, seed_stat_specs};

    const HASH: &str = "$6$rounds=1000$gie2yv7zue7yOTN5$MFGC.InJUltP7F27PYLoTRDrstf3Bv5H/pOoAvq2XeOjjYt8fNSs5Q.HKZWG80PlbasE4Zb8cA9fNPdnr4.YT.";

    fn catalog() -> StatCatalog {
        StatCatalog::from_specs(&seed_stat_specs()).unwrap()
    }

    fn columns() -> Vec<String> {
        FLASK_ACCOUNT_COLUMNS.iter().chain(FLASK_STATS.iter().map(|(c, _)| c)).map(|c| (*c).to_owned()).collect()
    }

    fn row(id: i64, username: &str) -> FlaskRow {
        FlaskRow {
            id,
            username: Some(username.into()),
            email: None,
            password_hash: Some(HASH.into()),
            stats: FLASK_STATS.iter().map(|(c, _)| ((*c).to_owned(), Raw::Integer(0))).collect(),
        }
    }

    fn with_stat(mut row: FlaskRow, column: &str, raw: Raw) -> FlaskRow {
        row.stats.iter_mut().find(|(c, _)| c == column).unwrap().1 = raw;
        row
    }

    fn run(rows: &[FlaskRow], existing: &Existing) -> (Vec<ImportedPlayer>, Report) {
        plan(rows, &columns(), &catalog(), existing, 1_000)
    }

    #[test]
    fn a_clean_row_comes_over_with_its_id_hash_and_stats() {
        let rows =
            [with_stat(with_stat(row(7, "KickSent"), "magicAtkXp", Raw::Integer(340)), "shieldXp", Raw::Real(90.0))];
        let (players, report) = run(&rows, &Existing::default());
        let player = &players[0];
        assert_eq!((player.id, player.username.as_str(), player.password_hash.as_deref()), (7, "KickSent", Some(HASH)));
        let stats: Vec<_> = player.stats.iter().map(|s| (s.stat.as_str(), s.amount, s.value)).collect();
        assert_eq!(stats, [("mageAtkXp", 340, 340), ("shieldXp", 90, 90)], "zeros are not written");
        assert_eq!(report.notes_of(7), Some(&[][..]));
        assert_eq!(report.columns, ["magicAtkXp: imported as mageAtkXp"]);
        assert_eq!(report.values, 2);
    }

    #[test]
    fn usernames_that_cannot_be_kept_are_skipped_with_the_reason() {
        let mut null = row(5, "x");
        null.username = None;
        let rows =
            [row(1, "has space"), row(2, "dash-name"), row(3, &"a".repeat(33)), row(4, ""), null, row(6, "1234")];
        let (players, report) = run(&rows, &Existing::default());
        assert_eq!(players.iter().map(|p| p.id).collect::<Vec<_>>(), [6], "all digits is a valid name");
        for id in [1, 2] {
            assert!(report.skipped_reason(id).unwrap().contains("may only hold"), "{report}");
        }
        assert!(report.skipped_reason(3).unwrap().contains("at most 32"));
        assert!(report.skipped_reason(4).unwrap().contains("empty"));
        assert_eq!(report.skipped_reason(5), Some("the username is NULL"));
    }

    #[test]
    fn the_first_row_by_id_keeps_a_name_or_email_taken_ignoring_case() {
        let mut a = row(2, "kicksent");
        a.email = Some("Dup@Example.com".into());
        let mut b = row(1, "other");
        b.email = Some("dup@example.COM".into());
        let rows = [a, b, row(3, "KICKSENT")];
        let (players, report) = run(&rows, &Existing::default());
        assert_eq!(players.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(players[0].email.as_ref().unwrap().as_str(), "dup@example.COM");
        assert_eq!(players[1].email, None);
        assert_eq!(report.notes_of(2).unwrap(), ["email dropped: the same email ignoring case as users.id 1"]);
        assert!(report.skipped_reason(3).unwrap().contains("same username ignoring case as users.id 2"));
    }

    #[test]
    fn spaces_around_an_email_are_trimmed_not_a_reason_to_drop_it() {
        let mut spaced = row(1, "a");
        spaced.email = Some(" five@example.com ".into());
        let (players, report) = plan(&[spaced], &columns(), &catalog(), &Existing::default(), 0);
        assert_eq!(players[0].email.as_ref().unwrap().as_str(), "five@example.com");
        assert_eq!(report.notes_of(1), Some(&[][..]), "nothing to say about it");
    }

    #[test]
    fn malformed_emails_are_dropped_and_said() {
        let mut bad = row(1, "badmail");
        bad.email = Some("not-an-email".into());
        let mut empty = row(2, "empty");
        empty.email = Some(String::new());
        let (players, report) = run(&[bad, empty], &Existing::default());
        assert!(players.iter().all(|p| p.email.is_none()));
        assert_eq!(report.notes_of(1).unwrap(), ["email dropped: not an email address"]);
        assert_eq!(report.notes_of(2), Some(&[][..]), "an empty email is none, as in the API");
        assert!(!report.to_string().contains("not-an-email"), "emails are never printed");
    }

    #[test]
    fn null_odd_and_out_of_bounds_stats_are_noted_not_written() {
        let r = row(1, "odd");
        let r = with_stat(r, "meleeAtkXp", Raw::Null);
        let r = with_stat(r, "healthXp", Raw::Integer(-5));
        let r = with_stat(r, "sizeXp", Raw::Text("lots".into()));
        let r = with_stat(r, "blockXp", Raw::Real(1.5));
        let r = with_stat(r, "ResistXp", Raw::Integer(i64::MAX));
        let (players, report) = run(&[r], &Existing::default());
        let stats: Vec<_> = players[0].stats.iter().map(|s| (s.stat.as_str(), s.value)).collect();
        assert_eq!(stats, [("ResistXp", i64::MAX)], "very large values are kept exactly");
        let notes = report.notes_of(1).unwrap().join("\n");
        for expected in [
            "meleeAtkXp is NULL: left at the default 0",
            "healthXp -5: healthXp: the result -5 would be below its min 0: not imported",
            "sizeXp holds the text \"lots\", not an integer: not imported",
            "blockXp holds 1.5, not an integer: not imported",
        ] {
            assert!(notes.contains(expected), "{expected:?} missing from\n{notes}");
        }
    }

    #[test]
    fn unconfigured_missing_and_unknown_columns_are_reported() {
        let mut specs = seed_stat_specs();
        specs.retain(|spec| spec.key != "speedXp");
        let catalog = StatCatalog::from_specs(&specs).unwrap();
        let mut columns = columns();
        columns.retain(|c| c != "sizeXp" && c != "email");
        columns.push("luckXp".into());
        let rows = [with_stat(row(1, "a"), "speedXp", Raw::Integer(3)), row(2, "b")];
        let (players, report) = plan(&rows, &columns, &catalog, &Existing::default(), 0);
        assert!(players[0].stats.is_empty());
        assert_eq!(
            report.columns,
            [
                "magicAtkXp: imported as mageAtkXp",
                "sizeXp: no such column in users; every player keeps the default",
                "speedXp: speedXp is not a configured stat; 1 rows hold a value, not imported",
                "email: no such column in users; every player is imported without one",
                "luckXp: not a column of the Flask API; ignored",
            ]
        );
    }

    #[test]
    fn a_nonzero_default_is_reached_by_the_ledger_amount() {
        let spec = StatSpec {
            key: "healthXp".into(),
            label: None,
            op: crate::domain::Op::Add,
            min: None,
            max: None,
            default: Some(100),
            levels: None,
        };
        let catalog = StatCatalog::from_specs(&[spec]).unwrap();
        let rows = [with_stat(row(1, "a"), "healthXp", Raw::Integer(150))];
        let (players, _) = plan(&rows, &columns(), &catalog, &Existing::default(), 0);
        let stat = &players[0].stats[0];
        assert_eq!((stat.amount, stat.value), (50, 150));
    }

    #[test]
    fn passwords_unknown_schemes_are_skipped_and_none_is_noted() {
        let mut plain = row(1, "plain");
        plain.password_hash = Some("hunter2".into());
        let mut none = row(2, "none");
        none.password_hash = None;
        let (players, report) = run(&[plain, none], &Existing::default());
        assert_eq!(report.skipped_reason(1), Some("the password hash is not a sha512-crypt or sha256-crypt hash"));
        assert_eq!(players[0].password_hash, None);
        assert!(report.notes_of(2).unwrap()[0].starts_with("no password hash"));
        assert!(!report.to_string().contains("hunter2"), "hashes are never printed");
    }

    #[test]
    fn what_the_database_holds_decides_reruns_and_conflicts() {
        let existing = Existing {
            ids: HashMap::from([(1, "kicksent".to_owned()), (2, "someone".to_owned())]),
            usernames: HashMap::from([("kicksent".to_owned(), 1), ("someone".to_owned(), 2), ("taken".to_owned(), 9)]),
            emails: HashMap::from([("e@example.com".to_owned(), 9)]),
            max_id_ever: 10,
        };
        let mut mail = row(12, "mail");
        mail.email = Some("E@example.com".into());
        let rows = [row(1, "KickSent"), row(2, "else"), row(5, "gone"), row(11, "taken"), mail, row(0, "zero")];
        let (players, report) = run(&rows, &existing);
        assert_eq!(report.skipped_reason(1), Some("already imported"));
        assert_eq!(report.skipped_reason(2), Some("id 2 belongs to another player in this database"));
        assert!(report.skipped_reason(5).unwrap().starts_with("id 5 is not free"));
        assert_eq!(report.skipped_reason(11), Some("the username is taken in this database by player 9"));
        assert_eq!(report.skipped_reason(0), Some("id 0 is not a positive number"));
        assert_eq!(players.iter().map(|p| p.id).collect::<Vec<_>>(), [12]);
        assert_eq!(report.notes_of(12).unwrap(), ["email dropped: taken in this database by player 9"]);
    }

    #[test]
    fn the_report_names_every_row_and_only_the_header_tells_a_dry_run() {
        let rows = [row(1, "ok"), row(2, "bad name")];
        let (_, mut report) = run(&rows, &Existing::default());
        report.source = "flask.db".into();
        let real = report.to_string();
        assert!(real.contains("imported: 1 players"), "{real}");
        assert!(real.contains("users.id 2 \"bad name\": username may only hold"), "{real}");
        report.dry_run = true;
        let dry = report.to_string();
        assert_eq!(dry.strip_prefix("dry run: nothing was written\n"), Some(real.as_str()));
    }
}
