//! `kill -9` while awards are acknowledged at full speed: after a restart on
//! the same database and retries of every unacknowledged request with its
//! Idempotency-Key, every award is applied exactly once (SQLite, or
//! PostgreSQL with `PLAYERBASE_TEST_POSTGRES`).

use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::binary::create_api_key;
use crate::database::{FreshDatabase, pool};
use crate::process::Server;

const CLIENTS: usize = 8;
const PLAYERS: usize = 12;
/// Every stat here is an `add` stat of the default configuration, so the
/// expected value is a plain sum.
const STATS: [&str; 4] = ["meleeAtkXp", "mageAtkXp", "healthXp", "speedXp"];
/// How long the clients send before the server is killed.
const BEFORE_KILL: Duration = Duration::from_millis(1500);
/// How long one request may take before it counts as unacknowledged.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One award request as sent, kept to be sent again byte for byte.
struct Sent {
    path: String,
    key: String,
    body: String,
    /// `(player index, stat index, amount)` of every award in it.
    awards: Vec<(usize, usize, i64)>,
    acknowledged: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_award_and_applies_retries_once() {
    let fresh = FreshDatabase::new().await;
    let database = fresh.database.clone();
    let key = Arc::new(create_api_key(&database, "crash", &["awards:write", "players:write"]));
    let server = Server::start_at(&database, &[]);
    let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap();

    let mut players = Vec::new();
    for n in 0..PLAYERS {
        let created = http
            .post(server.url("/api/v1/players"))
            .bearer_auth(key.as_str())
            .json(&json!({"username": format!("crash{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        players.push(created.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let players = Arc::new(players);

    // Clients at full speed until the kill.
    let killed = Arc::new(AtomicBool::new(false));
    let base = Arc::new(server.url(""));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (http, base, key, players, killed) =
                (http.clone(), base.clone(), key.clone(), players.clone(), killed.clone());
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(n as u64);
                let mut sent = Vec::new();
                while !killed.load(Ordering::Relaxed) {
                    let mut request = random_request(&mut rng, format!("crash-{n}-{}", sent.len()), &players);
                    request.acknowledged = send(&http, &base, &key, &request).await;
                    sent.push(request);
                }
                sent
            })
        })
        .collect();
    tokio::time::sleep(BEFORE_KILL).await;
    let (status, _) = server.kill();
    killed.store(true, Ordering::Relaxed);
    assert_eq!(status.signal(), Some(9), "the server died of SIGKILL: {status}");
    let mut sent = Vec::new();
    for client in clients {
        sent.extend(client.await.unwrap());
    }
    let acknowledged = sent.iter().filter(|s| s.acknowledged).count();
    let unacknowledged = sent.len() - acknowledged;
    assert!(acknowledged > 0, "nothing was acknowledged before the kill");
    assert!(unacknowledged > 0, "no request was under way at the kill");
    assert!(acknowledged >= 4, "too few acknowledged requests to send some again");

    // The same database after the crash: every acknowledged award is there.
    let db = pool(&database).await;
    let acknowledged_awards: usize = sent.iter().filter(|s| s.acknowledged).map(|s| s.awards.len()).sum();
    let rows_after_crash = ledger_rows(&db).await;
    assert!(
        rows_after_crash >= acknowledged_awards,
        "{rows_after_crash} ledger rows < {acknowledged_awards} acknowledged"
    );
    let restarted = Instant::now();
    let server = Server::start_at(&database, &[]);
    let base = server.url("");
    let up_after = restarted.elapsed();

    // Every unacknowledged request is retried; so is every fourth acknowledged
    // one, as a client whose acknowledgement was lost in the crash would, so
    // that answers kept across the crash are tested whatever the kill hit.
    let mut acknowledged_seen = 0;
    let retried: Vec<&mut Sent> = sent
        .iter_mut()
        .filter(|s| {
            acknowledged_seen += usize::from(s.acknowledged);
            !s.acknowledged || acknowledged_seen % 4 == 0
        })
        .collect();
    let resent = retried.len() - unacknowledged;
    for request in retried {
        let until = Instant::now() + Duration::from_secs(10);
        while !send(&http, &base, &key, request).await {
            assert!(Instant::now() < until, "a retry of {} was never acknowledged", request.key);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        request.acknowledged = true;
    }

    // Each request applied exactly once: stats, ledger rows and stored answers.
    let mut expected = vec![[0i64; STATS.len()]; PLAYERS];
    for (player, stat, amount) in sent.iter().flat_map(|s| &s.awards) {
        expected[*player][*stat] += amount;
    }
    for (n, id) in players.iter().enumerate() {
        let profile: Value =
            http.get(server.url(&format!("/api/v1/players/{id}"))).send().await.unwrap().json().await.unwrap();
        for (s, stat) in STATS.iter().enumerate() {
            assert_eq!(profile["stats"][stat], expected[n][s], "player {id} {stat}");
        }
    }
    let awards: usize = sent.iter().map(|s| s.awards.len()).sum();
    assert_eq!(ledger_rows(&db).await, awards, "one ledger row per award");
    let answers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idempotency_keys").fetch_one(&db).await.unwrap();
    assert_eq!(answers as usize, sent.len(), "one stored answer per request");
    db.close().await;
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    eprintln!(
        "{} requests ({awards} awards) from {CLIENTS} clients; {acknowledged} acknowledged before the kill, \
         {unacknowledged} unacknowledged retried ({} of their awards had been committed), {resent} acknowledged \
         sent again; restart took {:.2} s",
        sent.len(),
        rows_after_crash - acknowledged_awards,
        up_after.as_secs_f64()
    );
}

/// A single award of one or two stats, or a batch of up to 20 awards, to random players.
fn random_request(rng: &mut StdRng, key: String, players: &[i64]) -> Sent {
    let mut awards = Vec::new();
    let (path, body) = if rng.gen_bool(0.5) {
        let player = rng.gen_range(0..players.len());
        let first = rng.gen_range(0..STATS.len());
        let mut stats = serde_json::Map::new();
        for stat in [first, (first + 1) % STATS.len()].into_iter().take(rng.gen_range(1..=2)) {
            let amount = rng.gen_range(1..=100);
            stats.insert(STATS[stat].into(), json!(amount));
            awards.push((player, stat, amount));
        }
        (format!("/api/v1/players/{}/awards", players[player]), json!({"stats": stats}))
    } else {
        let batch: Vec<Value> = (0..rng.gen_range(1..=20))
            .map(|_| {
                let (player, stat, amount) =
                    (rng.gen_range(0..players.len()), rng.gen_range(0..STATS.len()), rng.gen_range(1..=100));
                awards.push((player, stat, amount));
                json!({"player_id": players[player], "stat": STATS[stat], "amount": amount})
            })
            .collect();
        ("/api/v1/awards".to_owned(), json!({"awards": batch, "reason": "crash test"}))
    };
    Sent { path, key, body: body.to_string(), awards, acknowledged: false }
}

/// Whether the server acknowledged the request (200).
async fn send(http: &reqwest::Client, base: &str, api_key: &str, request: &Sent) -> bool {
    let answer = http
        .post(format!("{base}{}", request.path))
        .bearer_auth(api_key)
        .header("idempotency-key", &request.key)
        .header("content-type", "application/json")
        .body(request.body.clone())
        .send()
        .await;
    match answer {
        // The body too: an answer cut off by the kill is no acknowledgement.
        Ok(answer) if answer.status() == 200 => answer.bytes().await.is_ok(),
        _ => false,
    }
}

async fn ledger_rows(db: &sqlx::AnyPool) -> usize {
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger").fetch_one(db).await.unwrap();
    rows as usize
}
