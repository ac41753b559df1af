//! `playerbase import-flask` on a database the Flask code wrote, and the
//! imported players logging in with their old passwords.

use std::process::Command;

use axum::http::StatusCode;
use serde_json::json;

use playerbase::commands::import_flask;

use super::{FLASK_DB, count, import, stored_hash};
use crate::support::{TestApp, basic, bearer};
use crate::v1_accounts::login_reply;

/// Flask ids that come over, and those that do not.
const IMPORTED: [i64; 10] = [1, 2, 5, 6, 7, 8, 9, 10, 13, 14];
const SKIPPED: [i64; 4] = [3, 4, 11, 12];

#[tokio::test]
async fn players_come_over_with_their_ids_stats_and_ledger() {
    let t = TestApp::new().await;
    let (report, printed) = import(&t, false).await;
    assert_eq!(report.imported.iter().map(|row| row.id).collect::<Vec<_>>(), IMPORTED, "{printed}");
    assert_eq!(report.skipped.iter().map(|row| row.id).collect::<Vec<_>>(), SKIPPED, "{printed}");

    let kicksent = t.get("/api/v1/players/1").await.body;
    assert_eq!(kicksent["username"], "kicksent");
    let stats = &kicksent["stats"];
    assert_eq!(
        (&stats["meleeAtkXp"], &stats["mageAtkXp"], &stats["shieldXp"], &stats["speedXp"], &stats["healthXp"]),
        (&json!(1200), &json!(340), &json!(90), &json!(7), &json!(0)),
        "magicAtkXp became mageAtkXp: {kicksent}"
    );
    let whale = t.get("/api/v1/players/9").await.body;
    assert_eq!(whale["stats"]["ResistXp"].as_i64(), Some(4_611_686_018_427_387_905), "very large XP is exact");
    assert_eq!(whale["levels"]["meleeAtkXp"], 99);
    let digits = t.get("/api/v1/players/by-name/1234").await;
    assert_eq!(digits.body["id"], 10, "an all-digit name is found by name");
    let nulls = t.get("/api/v1/players/8").await.body;
    assert_eq!((nulls["stats"]["meleeAtkXp"].as_i64(), nulls["stats"]["evasionXp"].as_i64()), (Some(0), Some(15)));
    let negative = t.get("/api/v1/players/14").await.body;
    assert_eq!((negative["stats"]["healthXp"].as_i64(), negative["stats"]["shieldXp"].as_i64()), (Some(0), Some(3)));

    // The ledger: one `import` row per value, amount and value_after the value.
    let ledger = t.get("/api/v1/players/1/awards").await.body;
    let mut rows: Vec<(String, i64, i64, String)> = ledger["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let text = |k: &str| a[k].as_str().unwrap().to_owned();
            (text("stat"), a["amount"].as_i64().unwrap(), a["value_after"].as_i64().unwrap(), text("source"))
        })
        .collect();
    rows.sort();
    let expected = [("mageAtkXp", 340), ("meleeAtkXp", 1200), ("shieldXp", 90), ("speedXp", 7)]
        .map(|(stat, value)| (stat.to_owned(), value, value, "import".to_owned()));
    assert_eq!(rows, expected);
    let db = t.db().await;
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM player_stats s WHERE s.value != \
         (SELECT SUM(amount) FROM ledger l WHERE l.player_id = s.player_id AND l.stat = s.stat AND l.source = 'import')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    assert_eq!(count(&t, "ledger").await, 15);
    assert_eq!(count(&t, "ledger WHERE source != 'import' OR amount != value_after").await, 0);

    // Emails: kept, or dropped and said.
    let emails: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, email FROM players ORDER BY id").fetch_all(&db).await.unwrap();
    let email = |id: i64| emails.iter().find(|(i, _)| *i == id).unwrap().1.clone();
    assert_eq!(email(5).as_deref(), Some("Dup@Example.com"), "the first of a duplicate pair keeps it");
    assert_eq!((email(6), email(7)), (None, None));
    assert_eq!(email(1).as_deref(), Some("kick@example.com"));

    // A sign-up after the import gets a fresh id.
    let next = t.register("newcomer", "python3x").await;
    assert_eq!(next, 15);
}

#[tokio::test]
async fn the_report_names_every_awkward_row() {
    let t = TestApp::new().await;
    let (_, printed) = import(&t, false).await;
    for line in [
        "imported: 10 players, 15 stat values (ledger source \"import\")",
        "skipped: 4 rows",
        "magicAtkXp: imported as mageAtkXp",
        "users.id 3 \"has space\": username may only hold the letters A-Z and a-z, digits and _",
        "users.id 4 \"dash-name\": username may only hold",
        "users.id 11 \"KICKSENT\": the same username ignoring case as users.id 1",
        "users.id 12 \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": username must be at most 32 characters",
        "users.id 6 \"dupmail\": email dropped: the same email ignoring case as users.id 5",
        "users.id 7 \"badmail\": email dropped: not an email address",
        "users.id 8 \"nullstats\": meleeAtkXp is NULL: left at the default 0",
        "users.id 8 \"nullstats\": healthXp is NULL: left at the default 0",
        "users.id 13 \"nopassword\": no password hash: imported without a password",
        "users.id 14 \"negative\": healthXp -5: healthXp: the result -5 would be below its min 0: not imported",
    ] {
        assert!(printed.contains(line), "{line:?} is missing from the report:\n{printed}");
    }
    for private in ["@example", "not-an-email", "$6$", "$5$"] {
        assert!(!printed.contains(private), "the report shows {private:?}:\n{printed}");
    }
}

#[tokio::test]
async fn old_passwords_log_in_everywhere_and_become_argon2id() {
    let t = TestApp::new().await;
    import(&t, false).await;
    assert!(stored_hash(&t, 1).await.unwrap().starts_with("$6$rounds=656000$"));
    assert!(stored_hash(&t, 2).await.unwrap().starts_with("$5$rounds=535000$"));

    // sha512-crypt through the seed's /api/token/; the token then works.
    let token = t.token("kicksent", "python3x").await;
    assert!(stored_hash(&t, 1).await.unwrap().starts_with("$argon2id$"), "replaced at the first login");
    let me = t.get_as("/api/resource/", &bearer(&token)).await;
    assert_eq!((me.status, me.body["email"].as_str()), (StatusCode::OK, Some("kick@example.com")));
    assert_eq!(login_reply(&t, "kicksent", "python3x").await.status, StatusCode::OK, "argon2id from now on");

    // sha256-crypt through v1 login, case-insensitive username as always.
    assert_eq!(login_reply(&t, "oldtimer", "hunter22").await.status, StatusCode::OK);
    assert!(stored_hash(&t, 2).await.unwrap().starts_with("$argon2id$"));

    // Two first logins at once both check the legacy hash; one replaces it, and the
    // other, finding it changed, checks the new one instead of failing (whale's first logins).
    let racing = futures_util::future::join_all((0..2).map(|_| login_reply(&t, "whale", "whale-pass"))).await;
    assert!(
        racing.iter().all(|reply| reply.status == StatusCode::OK),
        "{:?}",
        racing.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(stored_hash(&t, 9).await.unwrap().starts_with("$argon2id$"));

    // Basic username:password on a player route verifies and replaces too.
    assert_eq!(t.get_as("/api/v1/me", &basic("casey", "casey-pass")).await.status, StatusCode::OK);
    assert!(stored_hash(&t, 5).await.unwrap().starts_with("$argon2id$"));

    // Wrong passwords stay 401 and leave the legacy hash as it is.
    let before = stored_hash(&t, 6).await.unwrap();
    let wrong = login_reply(&t, "dupmail", "casey-pass").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get_as("/api/token/", &basic("dupmail", "DUPMAIL-PASS")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stored_hash(&t, 6).await.unwrap(), before);
    assert_eq!(login_reply(&t, "nopassword", "").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login_reply(&t, "has space", "password1").await.status, StatusCode::UNAUTHORIZED, "skipped rows");
}

#[tokio::test]
async fn an_imported_player_exports_the_import_rows() {
    let t = TestApp::new().await;
    import(&t, false).await;
    let token = t.token("whale", "whale-pass").await;
    let export = t.get_as("/api/v1/me/export", &bearer(&token)).await;
    assert_eq!(export.status, StatusCode::OK);
    let sources: Vec<&str> =
        export.body["ledger"].as_array().unwrap().iter().map(|row| row["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["import", "import"]);
}

#[tokio::test]
async fn a_second_import_imports_nothing_and_a_dry_run_writes_nothing() {
    let t = TestApp::new().await;
    let (dry, dry_printed) = import(&t, true).await;
    assert_eq!(dry.imported.len(), 10);
    assert_eq!((count(&t, "players").await, count(&t, "ledger").await, count(&t, "player_stats").await), (0, 0, 0));

    let (_, printed) = import(&t, false).await;
    assert_eq!(dry_printed.strip_prefix("dry run: nothing was written\n"), Some(printed.as_str()), "the same report");
    let counts = (count(&t, "players").await, count(&t, "ledger").await, count(&t, "player_stats").await);
    assert_eq!(counts, (10, 15, 15));

    let (again, _) = import(&t, false).await;
    assert!(again.imported.is_empty());
    for id in IMPORTED {
        assert_eq!(again.skipped_reason(id), Some("already imported"));
    }
    assert!(again.skipped_reason(3).unwrap().contains("may only hold"), "skipped rows say why again");
    assert_eq!((count(&t, "players").await, count(&t, "ledger").await, count(&t, "player_stats").await), counts);

    // A player deleted since does not come back.
    playerbase::accounts::delete_player(&t.state, 9).await.unwrap();
    let (after_delete, _) = import(&t, false).await;
    assert!(after_delete.skipped_reason(9).unwrap().starts_with("id 9 is not free"), "{:?}", after_delete.skipped);
    assert_eq!(count(&t, "players").await, 9);
}

#[test]
fn the_binary_imports_dry_runs_and_backs_up() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("imported.db");
    let run = |extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .arg("--database")
            .arg(&database)
            .arg("import-flask")
            .arg(FLASK_DB)
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let dry = run(&["--dry-run"]);
    assert!(dry.starts_with("dry run: nothing was written\n") && dry.contains("imported: 10 players"), "{dry}");
    assert!(!database.exists(), "a dry run does not even create the database");
    assert!(run(&[]).contains("imported: 10 players"));
    assert!(run(&[]).contains("imported: 0 players"));
    let missing = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .arg("--database")
        .arg(&database)
        .args(["import-flask", "/nonexistent/flask.db"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    // A source that cannot be read leaves no empty target database behind.
    let never_made = dir.path().join("never-made.db");
    let not_flask = dir.path().join("not-flask.db");
    std::fs::write(&not_flask, b"").unwrap();
    for source in ["/nonexistent/flask.db", not_flask.to_str().unwrap()] {
        let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .arg("--database")
            .arg(&never_made)
            .args(["import-flask", source])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{source}");
        assert!(!never_made.exists(), "{source}: {}", String::from_utf8_lossy(&output.stderr));
    }

    // `playerbase backup` of the imported database: written once, never over a file, never for PostgreSQL.
    let backup = dir.path().join("copy.db");
    let run_backup = |database: &std::ffi::OsStr| {
        Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .arg("--database")
            .arg(database)
            .arg("backup")
            .arg(&backup)
            .output()
            .unwrap()
    };
    let mistyped = run_backup(dir.path().join("imported-typo.db").as_os_str());
    assert!(!mistyped.status.success(), "a mistyped database is not created and backed up empty");
    assert!(String::from_utf8_lossy(&mistyped.stderr).contains("no SQLite database at"));
    assert!(!backup.exists() && !dir.path().join("imported-typo.db").exists());
    let first = run_backup(database.as_os_str());
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    #[cfg(unix)]
    for file in [&database, &backup] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} holds password hashes and emails: the owner's alone", file.display());
    }
    let copied = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .arg("--database")
        .arg(&backup)
        .args(["import-flask", FLASK_DB, "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&copied.stdout).contains("imported: 0 players"), "the copy holds the import");
    let again = run_backup(database.as_os_str());
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    std::fs::remove_file(&backup).unwrap();
    let postgres = run_backup("postgres://localhost/playerbase".as_ref());
    assert!(!postgres.status.success());
    assert!(String::from_utf8_lossy(&postgres.stderr).contains("pg_dump"));
    assert!(!backup.exists());
}

#[tokio::test]
async fn an_id_that_is_not_a_whole_number_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT, password_hash TEXT); \
         INSERT INTO users VALUES ('7', 'seven', 'x'), ('abc', 'letters', 'y');",
    )
    .unwrap();
    drop(db);
    let err = import_flask::read_flask(&path).await.err().expect("refused").to_string();
    assert!(err.contains("a users.id of abc (text) is not a whole number"), "{err}");
}
