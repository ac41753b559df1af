//! `playerbase migrate-database`: a SQLite database used through the app,
//! copied into PostgreSQL, then served from there. Needs
//! `PLAYERBASE_TEST_POSTGRES`; without it these tests return at once.

use axum::http::{Method, StatusCode};
use playerbase::auth::token::TokenHash;
use playerbase::commands::migrate_database;
use playerbase::domain::Scope;
use playerbase::store::{TwitchLogin, TwitchLoginKind};
use serde_json::{Value, json};

use super::count;
use crate::database::{FreshDatabase, postgres_url};
use crate::support::{TestApp, basic, bearer};
use crate::v1_accounts::{PASSWORD, api_key, create_player, login, login_with, me_status, refresh, refresh_reply};

const TABLES: [&str; 15] = [
    "players",
    "player_stats",
    "known_addresses",
    "sessions",
    "tokens",
    "api_keys",
    "ledger",
    "period_stats",
    "idempotency_keys",
    "eventsub_messages",
    "eventsub_revocations",
    "twitch_streams",
    "twitch_early_offlines",
    "twitch_cooldowns",
    "twitch_logins",
];

async fn counts(t: &TestApp) -> Vec<i64> {
    let mut all = Vec::new();
    for table in TABLES {
        all.push(count(t, table).await);
    }
    all
}

async fn max_ledger_id(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT MAX(id) FROM ledger").fetch_one(&t.db().await).await.unwrap()
}

async fn award(t: &TestApp, key: &str, player: i64, stats: Value, idempotency: Option<&str>) -> crate::support::Reply {
    let auth = bearer(key);
    let mut headers = vec![("authorization", auth.as_str())];
    headers.extend(idempotency.map(|k| ("idempotency-key", k)));
    let body = json!({"stats": stats, "reason": "test"}).to_string().into_bytes();
    t.send_with(Method::POST, &format!("/api/v1/players/{player}/awards"), &headers, Some(body)).await
}

/// What a client can read of `players`: profiles, ledgers, boards of every period, the seed's listing.
async fn public_view(t: &TestApp, players: &[i64]) -> Vec<Value> {
    let mut paths = vec!["/api/users/".to_owned()];
    for id in players {
        paths.push(format!("/api/v1/players/{id}"));
        paths.push(format!("/api/v1/players/{id}/awards?limit=1000"));
    }
    for stat in ["meleeAtkXp", "shieldXp"] {
        for period in ["all", "day", "week", "month"] {
            paths.push(format!("/api/v1/leaderboards/{stat}?period={period}"));
            paths.push(format!("/api/v1/leaderboards/{stat}/players/{}?period={period}", players[0]));
        }
    }
    let mut view = Vec::new();
    for path in paths {
        let reply = t.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        view.push(json!({"path": path, "body": reply.body}));
    }
    view
}

/// Fills the EventSub tables through the route, as Twitch would.
async fn twitch_activity(t: &TestApp) {
    use crate::twitch::{BROADCASTER, SECRET, chat, deliver_signed, notify, settle, timestamp};
    let online = json!({"id": "s-1", "broadcaster_user_id": BROADCASTER, "type": "live",
                        "started_at": timestamp(t.state.clock.now())});
    notify(t, "stream.online", online).await;
    notify(t, "channel.chat.message", chat("4242", "migrant", "hello")).await;
    // The first offline ends the stream; the second, with none live, waits for a late online.
    let offline = json!({"broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "streamer"});
    notify(t, "stream.offline", offline.clone()).await;
    settle(t).await;
    notify(t, "stream.offline", offline).await;
    let revocation = json!({"subscription": {"id": "sub-1", "status": "user_removed", "type": "channel.follow"}});
    let now = timestamp(t.state.clock.now());
    let reply = deliver_signed(t, "revocation", "rev-1", &now, revocation.to_string().as_bytes(), SECRET).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    settle(t).await;
}

#[tokio::test]
async fn a_sqlite_database_migrated_into_postgres_serves_the_same() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped");
        return;
    };
    // The source: SQLite, used through the app as a game would.
    let src = TestApp::on_with(FreshDatabase::sqlite(), crate::twitch::config()).await;
    let key = api_key(&src, "game-server", &[Scope::AwardsWrite]).await;
    let admin_key = api_key(&src, "ops", &[Scope::Admin]).await;
    let old_bot = api_key(&src, "old-bot", &[Scope::PlayersWrite]).await;
    let mut players = Vec::new();
    for name in ["ann", "bob", "cy"] {
        let reply = create_player(
            &src,
            None,
            json!({"username": name, "password": PASSWORD, "email": format!("{name}@example.com")}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        players.push(reply.body["id"].as_i64().unwrap());
    }
    // EventSub: a stream, a chatter's award (ledger row with its message id, chat cooldown), a revocation.
    twitch_activity(&src).await;
    let dee = src.register("Dee", "seed-password").await;
    players.push(dee);
    // The highest id is deleted: the PostgreSQL identity must not hand it out again.
    let gone = src.register("gone", "python3x").await;
    let deleted = src.send(Method::DELETE, &format!("/api/v1/players/{gone}"), Some(&bearer(&admin_key)), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    src.state.store.revoke_api_key("old-bot", src.state.clock.now()).await.unwrap();

    let mut first_answer = None;
    for (i, &player) in players.iter().enumerate() {
        for round in 0..3 {
            let idempotency = format!("award-{player}-{round}");
            let reply = award(
                &src,
                &key,
                player,
                json!({"meleeAtkXp": 10 * (i as i64 + 1) + round, "shieldXp": round + 1}),
                Some(&idempotency),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            first_answer.get_or_insert((player, idempotency, reply.body));
        }
    }
    let ann = login(&src, "ann").await;
    let bob = login(&src, "bob").await;
    let bob_again = refresh(&src, &bob.refresh).await; // bob.refresh is spent now
    let dee_token = src.token("Dee", "seed-password").await;
    // A "Log in with Twitch" under way (a link started by ann).
    let pending = TwitchLogin {
        kind: TwitchLoginKind::State,
        player_id: Some(players[0]),
        redirect: Some("mygame://auth".into()),
        code_challenge: None,
        browser: Some(TokenHash::of("cookie value")),
        twitch: None,
        expires_at: src.state.clock.now() + 600,
    };
    src.state.store.put_twitch_login(&TokenHash::of("pbs_pending"), &pending).await.unwrap();
    // A link waiting for its player to confirm it.
    let confirming = TwitchLogin {
        kind: TwitchLoginKind::Link,
        player_id: Some(players[0]),
        redirect: None,
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        browser: None,
        twitch: Some(("141981764".into(), "twitchdev".into())),
        expires_at: src.state.clock.now() + 120,
    };
    src.state.store.put_twitch_login(&TokenHash::of("pbl_pending"), &confirming).await.unwrap();
    let before = public_view(&src, &players).await;
    let source_counts = counts(&src).await;
    let source_ledger_id = max_ledger_id(&src).await;
    assert!(source_counts.iter().all(|&n| n > 0), "every table holds rows: {source_counts:?}");

    // The copy.
    let fresh = FreshDatabase::postgres(admin).await;
    let mut out = Vec::new();
    let report = migrate_database::run(&src.database, &fresh.database, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    let copied: Vec<i64> = report.rows.iter().map(|&(_, n)| n as i64).collect();
    assert_eq!(copied, source_counts, "{out}");
    assert!(out.starts_with("table"), "{out}");
    assert!(out.contains(&format!("{:<20} {:>10}", "players", source_counts[0])), "{out}");
    assert!(out.contains(&format!("players {gone}")), "the identity moves past the deleted player: {out}");
    assert!(out.contains("checked: row counts"), "{out}");

    // Served from PostgreSQL: the same answers, the same credentials.
    let dst = TestApp::on(fresh).await;
    assert!(dst.on_postgres());
    assert_eq!(counts(&dst).await, source_counts);
    assert_eq!(public_view(&dst, &players).await, before);
    let viewer = crate::twitch::viewer(&dst, "4242").await;
    let rows = crate::twitch::ledger(&dst, viewer["id"].as_i64().unwrap()).await;
    assert!(rows[0]["twitch_message_id"].is_string(), "the award keeps its EventSub message: {rows:?}");

    assert_eq!(me_status(&dst, &ann.bearer()).await, StatusCode::OK, "an access token from SQLite");
    assert_eq!(me_status(&dst, &bob_again.bearer()).await, StatusCode::OK);
    let me = dst.get_as("/api/resource/", &basic(&dee_token, "x")).await;
    assert_eq!((me.status, me.body["username"].as_str()), (StatusCode::OK, Some("Dee")), "a seed token from SQLite");
    login_with(&dst, "cy", PASSWORD).await;
    assert_eq!(
        dst.token("Dee", "seed-password").await.len(),
        dee_token.len(),
        "the seed's login with the old password"
    );
    let renewed = refresh(&dst, &bob_again.refresh).await;
    assert_eq!(me_status(&dst, &renewed.bearer()).await, StatusCode::OK, "a refresh token from SQLite");
    let reused = refresh_reply(&dst, &bob.refresh).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED, "a refresh token spent on SQLite stays spent");
    let pending_hash = TokenHash::of("pbs_pending");
    let taken = dst.state.store.take_twitch_login(&pending_hash, TwitchLoginKind::State, dst.state.clock.now());
    assert_eq!(taken.await.unwrap(), Some(pending), "a Twitch login under way carries over");
    let link_hash = TokenHash::of("pbl_pending");
    let taken = dst.state.store.take_twitch_login(&link_hash, TwitchLoginKind::Link, dst.state.clock.now());
    assert_eq!(taken.await.unwrap(), Some(confirming), "so does a link waiting for its player");

    // API keys: the live ones work, the revoked one does not; idempotency answers carried over.
    let (player, idempotency, answer) = first_answer.unwrap();
    let replayed = award(&dst, &key, player, json!({"meleeAtkXp": 10, "shieldXp": 1}), Some(&idempotency)).await;
    assert_eq!((replayed.status, &replayed.body), (StatusCode::OK, &answer), "the first answer, replayed");
    let ledger_before = count(&dst, "ledger").await;
    let fresh_award = award(&dst, &key, player, json!({"meleeAtkXp": 1}), None).await;
    assert_eq!(fresh_award.status, StatusCode::OK, "{}", fresh_award.body);
    assert_eq!(count(&dst, "ledger").await, ledger_before + 1);
    assert_eq!(max_ledger_id(&dst).await, source_ledger_id + 1, "ledger ids go on after the copied ones");
    let admin = dst.send(Method::DELETE, "/api/v1/players/99999", Some(&bearer(&admin_key)), None).await;
    assert_eq!(admin.status, StatusCode::NOT_FOUND, "the admin key is known: {}", admin.body);
    let revoked = create_player(&dst, Some(&bearer(&old_bot)), json!({"username": "x", "password": PASSWORD})).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED, "a key revoked on SQLite stays revoked");

    // A new player gets an id above every id SQLite ever handed out.
    let newcomer = crate::v1_accounts::sign_up(&dst, "newcomer").await;
    assert_eq!(newcomer, gone + 1);

    // Again into the same database: refused, and nothing changes.
    let after = counts(&dst).await;
    let err = migrate_database::run(&src.database, &dst.database, &mut Vec::new()).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("not empty") && message.contains("players"), "{message}");
    assert_eq!(counts(&dst).await, after);
}

/// A row PostgreSQL refuses (here a stat of a player that does not exist,
/// which SQLite took with its foreign keys off) fails the copy half-way:
/// everything copied before it is rolled back.
#[tokio::test]
async fn a_copy_that_fails_half_way_leaves_nothing_behind() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped");
        return;
    };
    let src = TestApp::on(FreshDatabase::sqlite()).await;
    let id = src.register("ann", "python3x").await;
    src.token("ann", "python3x").await;
    {
        use sqlx::Connection;
        let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite:{}", src.database)).await.unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut raw).await.unwrap();
        sqlx::query("INSERT INTO player_stats (player_id, stat, value) VALUES ($1, 'meleeAtkXp', 5)")
            .bind(id + 100)
            .execute(&mut raw)
            .await
            .unwrap();
        raw.close().await.unwrap();
    }
    let fresh = FreshDatabase::postgres(admin).await;
    let err = migrate_database::run(&src.database, &fresh.database, &mut Vec::new()).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("player_stats") && message.contains("nothing was written"), "{message}");
    let dst = TestApp::on(fresh).await;
    assert_eq!(counts(&dst).await, vec![0; TABLES.len()], "players were copied before the failure, and rolled back");
    assert_eq!(crate::v1_accounts::sign_up(&dst, "first").await, 1, "the identity did not move either");
}

/// Values anywhere in the 64-bit range migrate: the check's sums of them
/// once overflowed SQLite's SUM and refused the copy.
#[tokio::test]
async fn values_near_the_64_bit_bounds_migrate() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped");
        return;
    };
    let mut config = playerbase::Config::default();
    config.stats[0].min = None;
    let src = TestApp::on_with(FreshDatabase::sqlite(), config.clone()).await;
    let key = api_key(&src, "game-server", &[Scope::AwardsWrite]).await;
    let stat = config.stats[0].key.clone();
    let mut players = Vec::new();
    for (name, amount) in [("ann", i64::MAX), ("bob", i64::MAX - 1), ("cy", i64::MIN), ("dee", i64::MIN + 1)] {
        let id = src.register(name, "python3x").await;
        let reply = award(&src, &key, id, json!({ &stat: amount }), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        players.push(id);
    }
    let fresh = FreshDatabase::postgres(admin).await;
    let mut out = Vec::new();
    let migrated = migrate_database::run(&src.database, &fresh.database, &mut out).await;
    assert!(migrated.is_ok(), "{:#}", migrated.unwrap_err());
    let dst = TestApp::on_with(fresh, config).await;
    for id in players {
        let path = format!("/api/v1/players/{id}");
        assert_eq!(dst.get(&path).await.body, src.get(&path).await.body);
    }
}
