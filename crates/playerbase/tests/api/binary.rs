//! The real binary on a real socket with a fresh database, driven over
//! HTTP as a game client would.

use std::process::Command;

use serde_json::{Value, json};

use crate::database::{FreshDatabase, postgres_url};
use crate::process::Server;

/// `playerbase --database DATABASE api-key create --name NAME --scope …`; the key.
pub fn create_api_key(database: &str, name: &str, scopes: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_playerbase"));
    command.args(["--database", database, "api-key", "create", "--name", name]);
    for scope in scopes {
        command.args(["--scope", scope]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_binary_serves_a_game_client_end_to_end() {
    // The --listen flag Server::start passes wins over PLAYERBASE_LISTEN.
    let server = Server::start(&[("PLAYERBASE_AUTH__TOKEN_SECONDS", "42"), ("PLAYERBASE_LISTEN", "not an address")]);
    let client = reqwest::Client::new();

    let created = client
        .post(server.url("/api/users"))
        .json(&json!({"username": "kicksent", "password": "python3x", "email": "k@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/users/{id}"));

    let grant: Value = client
        .get(server.url("/api/token/"))
        .basic_auth("kicksent", Some("python3x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(grant["duration"], 42, "PLAYERBASE_AUTH__TOKEN_SECONDS applies");
    let token = grant["token"].as_str().unwrap().to_owned();

    let me = client.get(server.url("/api/resource/")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["username"], "kicksent");
    assert_eq!(me["email"], "k@example.com");
    assert_eq!(me["stats"]["shieldXp"], 0);

    let listing: Value = client.get(server.url("/api/users/")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listing, json!({"users": ["kicksent"], "next": null}));

    let update = client
        .post(server.url("/api/users/update/"))
        .json(&json!({"username": "kicksent", "password": "python3x", "new_password": "n3w-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 200);
    let old_token = client.get(server.url("/api/resource/")).basic_auth(&token, Some("x")).send().await.unwrap();
    assert_eq!(old_token.status(), 401);
    assert!(old_token.headers().contains_key("www-authenticate"));

    let (status, log) = server.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status}\n{log}");
    assert!(log.contains("stopped"), "{log}");
    for secret in ["python3x", "n3w-password", token.as_str(), "k@example.com"] {
        assert!(!log.contains(secret), "the log holds a secret: {secret}");
    }
    assert!(log.contains("request_id"), "requests are logged with their id");
}

#[test]
fn a_bad_configuration_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[[stats]]\nkey = \"xp\"\nop = \"multiply\"\n", "op"),
        ("[[stats]]\nkey = \"xp\"\nmin = 10\nmax = 1\n", "min 10 is above max 1"),
        ("listen = \"127.0.0.1:5000\"\nlisten_typo = 1\n", "listen_typo"),
        ("[auth]\ntoken_seconds = \"soon\"\n", "auth.token_seconds in "),
        ("[auth]\ntoken_secs = 5\n", "auth.token_secs in "),
        ("this is not toml", ".toml: TOML parse error"),
    ];
    for (n, (text, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{n}.toml"));
        std::fs::write(&path, text).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["serve", "--database"])
            .arg(dir.path().join("unused.db"))
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text} was accepted");
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    for (variable, value, expected) in [
        ("PLAYERBASE_AUTH__TOKEN_SECONDS", "soon", "PLAYERBASE_AUTH__TOKEN_SECONDS: invalid type"),
        ("PLAYERBASE_CORS_ORIGINS", "[\"https://game.example\", 5]", "PLAYERBASE_CORS_ORIGINS, at 1: invalid type"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["serve", "--database"])
            .arg(dir.path().join("unused.db"))
            .env(variable, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{variable}={value}: {stderr}");
    }
    let missing = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["serve", "--config", "/nonexistent/playerbase.toml"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));

    let nowhere = dir.path().join("no-such-dir").join("game.db");
    let stderr = serve_refuses(&["--database", nowhere.to_str().unwrap()], "there is no directory");
    assert!(!stderr.contains("serve-lock"), "{stderr}");
    serve_refuses(&["--database", "mysql://game@db/game"], "mysql:// is not a database playerbase uses");
}

/// `playerbase serve ARGS` stops at once, saying `expected`; its stderr.
fn serve_refuses(args: &[&str], expected: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_playerbase")).arg("serve").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "serve {args:?} started");
    assert!(stderr.contains(expected) && !stderr.contains("panicked"), "serve {args:?}: {stderr}");
    stderr
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("playerbase.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\n[auth]\nmin_password_length = 0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["serve", "--database"])
        .arg(dir.path().join("x.db"))
        .env("PLAYERBASE_CONFIG", &config)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("min_password_length"),
        "the file named by PLAYERBASE_CONFIG is read"
    );

    let fixed = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["serve", "--database"])
        .arg(dir.path().join("x.db"))
        .env("PLAYERBASE_CONFIG", &config)
        .env("PLAYERBASE_AUTH__MIN_PASSWORD_LENGTH", "10")
        .env("PLAYERBASE_LISTEN", "not an address")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert!(stderr.contains("cannot listen on not an address"), "the variable beat the file: {stderr}");
}

pub(crate) fn playerbase(database: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_playerbase")).arg("--database").arg(database).args(args).output().unwrap()
}

#[test]
fn api_keys_are_created_once_listed_without_the_key_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.db");
    let created = playerbase(
        &db,
        &["api-key", "create", "--name", "game-server", "--scope", "awards:write", "--scope", "players:write"],
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8(created.stdout).unwrap();
    let key = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1, "the key alone on stdout: {stdout:?}");
    assert!(key.starts_with("pbk_") && key.len() > 40, "{key}");
    let created_stderr = String::from_utf8_lossy(&created.stderr);
    assert!(created_stderr.contains("there was no database at"), "a new database goes unmentioned: {created_stderr}");

    // API.md: the database is created and migrated on first use, whichever command that is; it is said.
    let mistyped = dir.path().join("keys-typo.db");
    let listed_nowhere = playerbase(&mistyped, &["api-key", "list"]);
    assert!(listed_nowhere.status.success());
    assert!(String::from_utf8_lossy(&listed_nowhere.stderr).contains("there was no database at"));

    let again = playerbase(&db, &["api-key", "create", "--name", "game-server", "--scope", "admin"]);
    assert!(!again.status.success());
    let again_stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again_stderr.contains("revoke it first"));
    assert!(!again_stderr.contains("there was no database"), "{again_stderr}");
    let bad_scope = playerbase(&db, &["api-key", "create", "--name", "x", "--scope", "awards:read"]);
    assert!(!bad_scope.status.success());
    assert!(String::from_utf8_lossy(&bad_scope.stderr).contains("unknown scope"));
    let bad_name = playerbase(&db, &["api-key", "create", "--name", "has space", "--scope", "admin"]);
    assert!(!bad_name.status.success());

    let listed = String::from_utf8(playerbase(&db, &["api-key", "list"]).stdout).unwrap();
    assert!(listed.contains("game-server\tplayers:write awards:write\t"), "{listed}");
    assert!(listed.contains("\tlive"));
    assert!(!listed.contains(key), "the key is never shown again");

    let revoked = playerbase(&db, &["api-key", "revoke", "game-server"]);
    assert!(revoked.status.success());
    assert!(String::from_utf8_lossy(&revoked.stderr).contains("revoked the API key \"game-server\""));
    let listed = String::from_utf8(playerbase(&db, &["api-key", "list"]).stdout).unwrap();
    assert!(listed.contains("revoked 20"), "{listed}");
    let twice = playerbase(&db, &["api-key", "revoke", "game-server"]);
    assert!(!twice.status.success(), "no live key of that name is left");
    let reused = playerbase(&db, &["api-key", "create", "--name", "game-server", "--scope", "admin"]);
    assert!(reused.status.success(), "a revoked key's name can be used again");
}

/// With `PLAYERBASE_TEST_POSTGRES` set: `serve --database postgres://…` end to
/// end, an API key made by the command line included.
#[tokio::test]
async fn the_binary_serves_from_postgres_when_given_a_url() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped");
        return;
    };
    let fresh = FreshDatabase::postgres(admin).await;
    let url = fresh.database.clone();
    let key = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["--database", &url, "api-key", "create", "--name", "game", "--scope", "awards:write"])
        .output()
        .unwrap();
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();

    let server = Server::start_on(fresh, &[]);
    let opened =
        server.startup_log.iter().find(|line| line.contains("database opened")).expect("the database is named");
    assert!(opened.contains("127.0.0.1:5432/") || opened.contains("localhost:5432/"), "{opened}");
    assert!(!opened.contains('@') && !opened.contains("postgres://"), "no credentials in the log: {opened}");
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/api/users"))
        .json(&json!({"username": "kicksent", "password": "python3x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let taken = client
        .post(server.url("/api/users"))
        .json(&json!({"username": "KickSent", "password": "python3x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);

    for amount in [5, 7] {
        let award = client
            .post(server.url(&format!("/api/v1/players/{id}/awards")))
            .bearer_auth(&key)
            .json(&json!({"stats": {"meleeAtkXp": amount}}))
            .send()
            .await
            .unwrap();
        assert_eq!(award.status(), 200, "{}", award.text().await.unwrap());
    }
    let profile: Value =
        client.get(server.url(&format!("/api/v1/players/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(profile["stats"]["meleeAtkXp"], 12);
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let (status, log) = server.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status}\n{log}");
    assert!(!log.contains("playerbase:playerbase@"), "the log holds the database password: {log}");
}

#[test]
fn an_unreachable_postgres_server_is_a_clear_error() {
    let stderr = serve_refuses(
        &["--database", "postgres://someone:hunter2@127.0.0.1:1/playerbase"],
        "cannot connect to PostgreSQL at 127.0.0.1:1/playerbase",
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// `--from` defaults to `--database` (or the configured database), and the two may not disagree.
#[test]
fn migrate_database_copies_from_the_database_flag_and_refuses_two_sources() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("playerbase.db");
    let other = dir.path().join("other.db");
    let two = playerbase(
        &sqlite,
        &["migrate-database", "--from", other.to_str().unwrap(), "--to", "postgres://127.0.0.1:1/x"],
    );
    assert!(!two.status.success());
    let stderr = String::from_utf8_lossy(&two.stderr);
    assert!(stderr.contains("name two databases: give the SQLite database once"), "{stderr}");
    let by_flag = playerbase(&sqlite, &["migrate-database", "--to", "postgres://127.0.0.1:1/x"]);
    assert!(!by_flag.status.success());
    let stderr = String::from_utf8_lossy(&by_flag.stderr);
    assert!(stderr.contains(&format!("there is no SQLite database at {}", sqlite.display())), "{stderr}");
    assert!(!sqlite.exists() && !other.exists(), "nothing was created");
}

/// With `PLAYERBASE_TEST_POSTGRES` set: `migrate-database` through the
/// binary, then `serve` on PostgreSQL with the key made on SQLite.
#[tokio::test]
async fn the_binary_migrates_a_sqlite_database_into_postgres() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("playerbase.db");
    let key = playerbase(&sqlite, &["api-key", "create", "--name", "game", "--scope", "awards:write"]);
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let fresh = FreshDatabase::postgres(admin).await;
    let url = fresh.database.clone();
    let from = format!("sqlite:{}", sqlite.display());
    let migrate = |from: &str, to: &str| {
        Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["migrate-database", "--from", from, "--to", to])
            .output()
            .unwrap()
    };

    let wrong_way = migrate(&url, sqlite.to_str().unwrap());
    assert!(!wrong_way.status.success());
    assert!(String::from_utf8_lossy(&wrong_way.stderr).contains("copies a SQLite database into PostgreSQL"));
    let missing = migrate(dir.path().join("nope.db").to_str().unwrap(), &url);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no SQLite database at"));
    assert!(!dir.path().join("nope.db").exists(), "a missing source is not created");

    let done = migrate(&from, &url);
    let stdout = String::from_utf8_lossy(&done.stdout);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(stdout.lines().any(|l| l.split_whitespace().eq(["api_keys", "1"])), "{stdout}");
    assert!(stdout.lines().any(|l| l.split_whitespace().eq(["players", "0"])), "{stdout}");
    assert!(!stdout.contains("playerbase:playerbase@") && !stderr.contains("playerbase:playerbase@"));

    let again = migrate(&from, &url);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("not empty: api_keys holds rows"), "{stderr}");

    let server = Server::start_on(fresh, &[]);
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/api/v1/players"))
        .json(&json!({"username": "kicksent", "password": "python3x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let award = client
        .post(server.url(&format!("/api/v1/players/{id}/awards")))
        .bearer_auth(&key)
        .json(&json!({"stats": {"meleeAtkXp": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(award.status(), 200, "the key made on SQLite works on PostgreSQL");
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
}

#[tokio::test]
async fn oversized_headers_are_refused_and_the_server_goes_on() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let huge = "x".repeat(1024 * 1024);
    let refused = client.get(server.url("/healthz")).header("x-huge", huge).send().await.unwrap();
    assert_eq!(refused.status(), 431, "one header of 1 MiB");
    let mut many = client.get(server.url("/healthz"));
    for n in 0..200 {
        many = many.header(format!("x-header-{n}"), "v");
    }
    assert_eq!(many.send().await.unwrap().status(), 431, "200 headers");
    assert_eq!(client.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
}

/// Overlays keep `/api/v1/events` open for hours: a stop must end their
/// streams, not wait for them (systemd would kill the server mid-drain).
#[tokio::test]
async fn a_stop_ends_open_event_streams_instead_of_waiting_for_them() {
    let server = Server::start(&[]);
    let mut overlay = reqwest::Client::new().get(server.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(overlay.status(), 200);

    let stopped = tokio::task::spawn_blocking(move || server.stop_within(std::time::Duration::from_secs(5)));
    let (status, log) = stopped.await.unwrap().expect("stopped within 5 s with an event stream open");
    assert!(status.success(), "graceful shutdown exits 0: {status}\n{log}");
    while let Ok(Some(_)) = overlay.chunk().await {}
}

/// A client that connects and sends nothing, or half a request, must not
/// keep its connection (and one of `limits.max_connections`) for ever, nor
/// hold up a stop: the request time limit covers reading a request's head.
#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_and_do_not_hold_up_a_stop() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = Server::start(&[
        ("PLAYERBASE_LIMITS__MAX_CONNECTIONS", "2"),
        ("PLAYERBASE_LIMITS__REQUEST_TIMEOUT_SECONDS", "1"),
    ]);
    let opened =
        server.startup_log.iter().find(|line| line.contains("database opened")).expect("the database is named");
    assert!(opened.contains(".db") || opened.contains(".sqlite"), "the SQLite file's path: {opened}");
    let mut idle = tokio::net::TcpStream::connect(server.address()).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(server.address()).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    for (name, socket) in [("idle", &mut idle), ("half-sent", &mut half)] {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the {name} connection was still open after 5 s");
    }
    let client = reqwest::Client::new();
    let health =
        tokio::time::timeout(std::time::Duration::from_secs(5), client.get(server.url("/healthz")).send()).await;
    assert_eq!(health.expect("room for a new client").unwrap().status(), 200);

    let mut stuck = tokio::net::TcpStream::connect(server.address()).await.unwrap();
    stuck.write_all(b"POST /api/users HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let stopped = tokio::task::spawn_blocking(move || server.stop_within(std::time::Duration::from_secs(5)));
    let (status, log) = stopped.await.unwrap().expect("stopped within 5 s with a half-sent request open");
    assert!(status.success(), "{status}\n{log}");
}

/// An environment variable of digits is read by figment as a number: a
/// secret starting with 0 lost it, and every signed EventSub delivery was refused.
#[tokio::test]
async fn a_secret_of_digits_from_the_environment_keeps_its_leading_zero() {
    let secret = "0123456789012";
    let server = Server::start(&[("PLAYERBASE_TWITCH__EVENTSUB_SECRET", secret)]);
    let warned = server.startup_log.iter().any(|line| line.contains("twitch.broadcaster_user_id is not set"));
    assert!(warned, "EventSub on without a broadcaster goes unmentioned: {:?}", server.startup_log);
    let body = json!({
        "challenge": "zero-kept",
        "subscription": {"id": "f1c2a387", "status": "webhook_callback_verification_pending", "type": "channel.follow",
                         "version": "2", "condition": {"broadcaster_user_id": "1000"},
                         "transport": {"method": "webhook", "callback": "https://example.com/"},
                         "created_at": "2026-12-04T19:30:02Z", "cost": 1}
    })
    .to_string();
    let now = crate::twitch::timestamp(time::OffsetDateTime::now_utc().unix_timestamp());
    let signature = playerbase::twitch::eventsub::verify::sign(secret.as_bytes(), "c-0", &now, body.as_bytes());
    let reply = reqwest::Client::new()
        .post(server.url("/api/v1/twitch/eventsub"))
        .header("Twitch-Eventsub-Message-Id", "c-0")
        .header("Twitch-Eventsub-Message-Retry", "0")
        .header("Twitch-Eventsub-Message-Type", "webhook_callback_verification")
        .header("Twitch-Eventsub-Message-Signature", signature)
        .header("Twitch-Eventsub-Message-Timestamp", now)
        .header("Twitch-Eventsub-Subscription-Type", "channel.follow")
        .header("Twitch-Eventsub-Subscription-Version", "1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200, "signed with the secret as written");
    assert_eq!(reply.text().await.unwrap(), "zero-kept");
}

/// Each server keeps the leaderboards and profiles in memory: a second one
/// on the same SQLite file would serve what it alone wrote. It refuses to start.
#[tokio::test]
async fn a_second_server_on_one_sqlite_file_refuses_to_start() {
    let fresh = FreshDatabase::sqlite();
    let first = Server::start_at(&fresh.database, &[]);
    let second = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &fresh.database])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another `playerbase serve` (or `import-flask`) is using"), "{said}");
    let key = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["--database", &fresh.database, "api-key", "list"])
        .output()
        .unwrap();
    assert!(key.status.success(), "commands still work beside the server: {}", String::from_utf8_lossy(&key.stderr));
    let import = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_playerbase"))
            .args(["--database", &fresh.database, "import-flask", crate::data::FLASK_DB])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = import(&[]);
    assert!(!refused.status.success(), "an import under a running server, which would not show it");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("stop it, import, then start it again"), "{said}");
    let dry_run = import(&["--dry-run"]);
    assert!(dry_run.status.success(), "a dry run writes nothing: {}", String::from_utf8_lossy(&dry_run.stderr));
    let (status, log) = first.stop();
    assert!(status.success(), "{log}");
    assert!(import(&[]).status.success(), "with the server stopped, the import runs");
    let after = Server::start_at(&fresh.database, &[]);
    let board: serde_json::Value =
        reqwest::get(after.url("/api/v1/leaderboards/meleeAtkXp")).await.unwrap().json().await.unwrap();
    assert_eq!(board["total"], 2, "the restarted server ranks the imported players: {board}");
    assert!(after.stop().0.success(), "the lock goes with the server");
}

#[tokio::test]
async fn a_rust_log_that_cannot_be_read_is_said_not_ignored() {
    let server = Server::start(&[("RUST_LOG", "nonsense=[")]);
    let warned =
        server.startup_log.iter().any(|line| line.contains("RUST_LOG cannot be read; logging at the default, info"));
    assert!(warned, "{:?}", server.startup_log);
    assert!(server.stop().0.success());

    let empty = Server::start(&[("RUST_LOG", "")]);
    let listening = empty.startup_log.iter().any(|line| line.contains("INFO") && line.contains("database opened"));
    assert!(listening, "an empty RUST_LOG is the default, not silence: {:?}", empty.startup_log);
    assert!(empty.stop().0.success());
}

/// The time limit on reading a request's head must not cut a live event
/// stream, which is being answered for as long as it is open.
#[tokio::test]
async fn a_live_event_stream_outlasts_the_request_time_limit() {
    let server = Server::start(&[("PLAYERBASE_LIMITS__REQUEST_TIMEOUT_SECONDS", "1")]);
    let mut overlay = reqwest::Client::new().get(server.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(overlay.status(), 200);
    let opening = overlay.chunk().await.unwrap();
    assert_eq!(opening.as_deref(), Some(&b"id: 0\n\n"[..]), "the opening id");
    let waited = tokio::time::timeout(std::time::Duration::from_secs(3), overlay.chunk()).await;
    assert!(waited.is_err(), "the stream ended (or sent something) within 3 s: {waited:?}");
    assert!(server.stop().0.success());
}

/// A stop that comes while the server is still starting (here: waiting on
/// a database that accepts the connection and never answers) ends it
/// cleanly there, rather than being held until it would listen.
#[test]
fn a_sigterm_while_starting_stops_the_server_at_once() {
    let silent_database = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://someone:secret@{}/playerbase", silent_database.local_addr().unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the server should still be waiting for its database");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let sent = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(sent.elapsed() < std::time::Duration::from_secs(5), "still starting 5 s after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("stopped while starting"), "{log}");
}

/// Runs `playerbase --database DATABASE ARGS` with standard output a pipe
/// whose reader is already gone, as `… | head -1` becomes.
fn playerbase_into_closed_pipe(database: &std::path::Path, args: &[&str]) -> std::process::Output {
    // Close-on-exec, so that no server another test starts meanwhile keeps the reader alive.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .arg("--database")
        .arg(database)
        .args(args)
        .stdout(writer)
        .output()
        .unwrap()
}

#[test]
fn a_report_whose_reader_went_away_is_no_failure_but_an_unshown_key_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipes.db");
    let unshown = playerbase_into_closed_pipe(&db, &["api-key", "create", "--name", "lost", "--scope", "admin"]);
    assert!(!unshown.status.success(), "a key nobody saw was reported created");
    let stderr = String::from_utf8_lossy(&unshown.stderr);
    assert!(stderr.contains("could not be shown: revoke it (playerbase api-key revoke lost)"), "{stderr}");

    let listed = playerbase_into_closed_pipe(&db, &["api-key", "list"]);
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(listed.status.success(), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(playerbase(&db, &["api-key", "revoke", "lost"]).status.success(), "the unshown key can be revoked");
}
