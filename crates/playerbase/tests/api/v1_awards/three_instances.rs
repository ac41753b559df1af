//! Three real `playerbase serve` processes on one PostgreSQL database are
//! one service under load: 30,000 awards sent through all three at once,
//! each request to a random instance, land exactly once — also when a
//! client gives up on a request mid-flight and retries it, with the same
//! Idempotency-Key, on another instance — and the three agree on every board.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::database::{FreshDatabase, pool, postgres_url};
use crate::process::Server;

const INSTANCES: usize = 3;
const PLAYERS: usize = 40;
const STATS: [&str; 10] = [
    "meleeAtkXp",
    "mageAtkXp",
    "rangeAtkXp",
    "healthXp",
    "shieldXp",
    "evasionXp",
    "sizeXp",
    "blockXp",
    "ResistXp",
    "speedXp",
];
const AWARDS: usize = 30_000;
/// Requests carrying one award each; the rest of the awards go in batches.
const SINGLE_REQUESTS: usize = 1_500;
const BATCH_SIZE: usize = 500;
/// Clients sending at once, each request to an instance picked at random.
const CLIENTS: usize = 24;
/// Share of first attempts the client abandons after a few milliseconds, as a
/// client whose connection drops would: the award may or may not have been
/// applied, and only the retry's Idempotency-Key keeps it from counting twice.
const ABANDONED_SHARE: f64 = 0.03;
/// Share of answered requests sent again, unchanged, to another instance,
/// which must answer exactly what the first one did and apply nothing.
const RESENT_SHARE: f64 = 0.05;

/// One award request as a client prepares it, before any attempt.
struct Prepared {
    idempotency_key: String,
    path: String,
    /// Serialised once: a retry sends the very same bytes.
    body: String,
    /// (player index, stat index, amount) of each award the request carries.
    awards: Vec<(usize, usize, i64)>,
}

/// What happened to the requests on their way, for the report and the checks.
#[derive(Default)]
struct Tally {
    abandoned: AtomicUsize,
    retried: AtomicUsize,
    resent: AtomicUsize,
}

/// The three instances' addresses, as a load balancer would know them.
struct Cluster {
    bases: Vec<String>,
    client: reqwest::Client,
    key: String,
}

impl Cluster {
    fn url(&self, instance: usize, path: &str) -> String {
        format!("{}{path}", self.bases[instance])
    }

    async fn get(&self, instance: usize, path: &str) -> Value {
        let reply = self.client.get(self.url(instance, path)).send().await.unwrap();
        assert_eq!(reply.status(), 200, "GET {path} on instance {instance}");
        reply.json().await.unwrap()
    }

    /// One attempt; `Err` for anything worth retrying (no answer, 5xx, 429).
    async fn attempt(
        &self,
        instance: usize,
        request: &Prepared,
        give_up_after: Option<Duration>,
    ) -> Result<(u16, Value), String> {
        let mut builder = self
            .client
            .post(self.url(instance, &request.path))
            .bearer_auth(&self.key)
            .header("idempotency-key", &request.idempotency_key)
            .header("content-type", "application/json")
            .body(request.body.clone());
        if let Some(limit) = give_up_after {
            builder = builder.timeout(limit);
        }
        let reply = builder.send().await.map_err(|err| err.to_string())?;
        let status = reply.status().as_u16();
        let body: Value = reply.json().await.map_err(|err| err.to_string())?;
        if status >= 500 || status == 429 {
            return Err(format!("{status} {body}"));
        }
        Ok((status, body))
    }

    /// Sends `request` until an instance answers it, each retry with the same
    /// key to another instance; returns the instance that answered and the answer.
    async fn deliver(&self, request: &Prepared, rng: &mut StdRng, tally: &Tally) -> (usize, Value) {
        let mut instance = rng.gen_range(0..INSTANCES);
        let mut give_up_after = rng.gen_bool(ABANDONED_SHARE).then(|| Duration::from_millis(rng.gen_range(1..40)));
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(instance, request, give_up_after).await {
                Ok((200, body)) => return (instance, body),
                Ok((status, body)) => panic!("{} answered {status}: {body}", request.idempotency_key),
                Err(why) => {
                    if give_up_after.take().is_some() {
                        tally.abandoned.fetch_add(1, Ordering::Relaxed);
                    } else {
                        tally.retried.fetch_add(1, Ordering::Relaxed);
                        eprintln!("{} attempt {attempt} failed, retrying: {why}", request.idempotency_key);
                    }
                    assert!(attempt < 20, "{} failed {attempt} times: {why}", request.idempotency_key);
                    instance = another_instance(instance, rng);
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                }
            }
        }
    }
}

fn another_instance(instance: usize, rng: &mut StdRng) -> usize {
    (instance + rng.gen_range(1..INSTANCES)) % INSTANCES
}

/// `playerbase api-key create` on `database`, through the binary; the key it prints.
fn create_key(database: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_playerbase"))
        .args(["--database", database, "api-key", "create", "--name", "load"])
        .args(["--scope", "awards:write", "--scope", "players:write"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Single-award requests and batches, shuffled, adding up to `AWARDS`
/// awards; a batch names about a third of its players by Twitch id.
fn prepare(ids: &[i64], rng: &mut StdRng) -> Vec<Prepared> {
    let mut prepared = Vec::new();
    let award = |rng: &mut StdRng| (rng.gen_range(0..PLAYERS), rng.gen_range(0..STATS.len()), rng.gen_range(1..=100));
    for n in 0..SINGLE_REQUESTS {
        let (player, stat, amount) = award(rng);
        prepared.push(Prepared {
            idempotency_key: format!("single-{n}"),
            path: format!("/api/v1/players/{}/awards", ids[player]),
            body: json!({"stats": {STATS[stat]: amount}, "reason": "load"}).to_string(),
            awards: vec![(player, stat, amount)],
        });
    }
    let mut left = AWARDS - SINGLE_REQUESTS;
    let mut n = 0;
    while left > 0 {
        let awards: Vec<_> = (0..BATCH_SIZE.min(left)).map(|_| award(rng)).collect();
        let entries: Vec<Value> = awards
            .iter()
            .map(|&(player, stat, amount)| {
                if rng.gen_bool(0.3) {
                    json!({"twitch_user_id": twitch_id(player), "stat": STATS[stat], "amount": amount})
                } else {
                    json!({"player_id": ids[player], "stat": STATS[stat], "amount": amount})
                }
            })
            .collect();
        left -= awards.len();
        prepared.push(Prepared {
            idempotency_key: format!("batch-{n}"),
            path: "/api/v1/awards".into(),
            body: json!({"awards": entries, "reason": "load"}).to_string(),
            awards,
        });
        n += 1;
    }
    prepared.shuffle(rng);
    prepared
}

fn twitch_id(player: usize) -> String {
    format!("{}", 90_000 + player)
}

fn username(player: usize) -> String {
    format!("loader_{player}")
}

/// The board `stat` must show: every player (each had awards for every
/// stat), best first, ties by id; rank 1 + the number strictly better.
fn expected_board(stat: usize, ids: &[i64], expected: &[[i64; STATS.len()]]) -> Vec<Value> {
    let mut entries: Vec<(i64, i64, usize)> = (0..PLAYERS).map(|p| (expected[p][stat], ids[p], p)).collect();
    entries.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    entries
        .iter()
        .map(|&(value, id, player)| {
            let rank = 1 + entries.iter().filter(|e| e.0 > value).count();
            json!({"rank": rank, "player_id": id, "username": username(player), "value": value})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_apply_thirty_thousand_awards_exactly_once() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped (several instances need one PostgreSQL)");
        return;
    };
    let started = Instant::now();
    let fresh = FreshDatabase::postgres(admin).await;
    let key = create_key(&fresh.database);
    let servers: Vec<Server> = (0..INSTANCES).map(|_| Server::start_at(&fresh.database, &[])).collect();
    let bases = servers.iter().map(|server| server.url("")).collect();
    let cluster = Arc::new(Cluster { bases, client: reqwest::Client::new(), key });
    let mut rng = StdRng::seed_from_u64(4);

    let mut ids = Vec::new();
    for player in 0..PLAYERS {
        let instance = rng.gen_range(0..INSTANCES);
        let created = cluster
            .client
            .post(cluster.url(instance, "/api/v1/players"))
            .bearer_auth(&cluster.key)
            .json(&json!({"username": username(player), "twitch_user_id": twitch_id(player)}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        ids.push(created.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }

    let prepared = prepare(&ids, &mut rng);
    let requests = prepared.len();
    let mut expected = vec![[0i64; STATS.len()]; PLAYERS];
    for &(player, stat, amount) in prepared.iter().flat_map(|r| &r.awards) {
        expected[player][stat] += amount;
    }
    assert_eq!(prepared.iter().map(|r| r.awards.len()).sum::<usize>(), AWARDS);

    let queue = Arc::new(Mutex::new(prepared));
    let tally = Arc::new(Tally::default());
    let sending = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (cluster, queue, tally) = (cluster.clone(), queue.clone(), tally.clone());
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(client as u64);
                loop {
                    let Some(request) = queue.lock().await.pop() else { break };
                    let (answered_by, answer) = cluster.deliver(&request, &mut rng, &tally).await;
                    if rng.gen_bool(RESENT_SHARE) {
                        tally.resent.fetch_add(1, Ordering::Relaxed);
                        let elsewhere = another_instance(answered_by, &mut rng);
                        // A failure on the way (no answer, 5xx) is not the point here: try again.
                        let mut again = cluster.attempt(elsewhere, &request, None).await;
                        for _ in 0..5 {
                            if again.is_ok() {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            again = cluster.attempt(elsewhere, &request, None).await;
                        }
                        assert_eq!(
                            again,
                            Ok((200, answer)),
                            "{} sent again to instance {elsewhere}: not the first answer",
                            request.idempotency_key
                        );
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let sent_in = sending.elapsed();
    let tally = Arc::into_inner(tally).unwrap();
    eprintln!(
        "{AWARDS} awards in {requests} requests through {INSTANCES} instances in {:.1} s: {} abandoned and retried \
         elsewhere, {} retried after a failure, {} sent again to another instance",
        sent_in.as_secs_f64(),
        tally.abandoned.load(Ordering::Relaxed),
        tally.retried.load(Ordering::Relaxed),
        tally.resent.load(Ordering::Relaxed),
    );
    assert!(tally.abandoned.into_inner() > 0 && tally.resent.into_inner() > 0, "the retry paths were exercised");

    // Every stat of every player, as each instance's profile shows it.
    for (player, id) in ids.iter().enumerate() {
        let instance = player % INSTANCES;
        let profile = cluster.get(instance, &format!("/api/v1/players/{id}")).await;
        let shown: Vec<i64> = STATS.iter().map(|s| profile["stats"][s].as_i64().unwrap()).collect();
        assert_eq!(shown, expected[player], "{} on instance {instance}", username(player));
    }

    // The tables: one ledger row per award, each request's answer kept once,
    // and every period's values summing to the same totals.
    let db = pool(&fresh.database).await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) FROM ledger").await, AWARDS as i64);
    assert_eq!(count("SELECT COUNT(*) FROM idempotency_keys").await, requests as i64);
    let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(player, id)| (*id, player)).collect();
    let by_id = |rows: Vec<(i64, String, i64)>| {
        let mut seen = vec![[0i64; STATS.len()]; PLAYERS];
        for (id, stat, value) in rows {
            seen[index[&id]][STATS.iter().position(|s| *s == stat).unwrap()] += value;
        }
        seen
    };
    let ledger: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT player_id, stat, CAST(SUM(amount) AS BIGINT) FROM ledger GROUP BY player_id, stat")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(by_id(ledger), expected, "the ledger's amounts");
    for kind in ["day", "week", "month"] {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT player_id, stat, CAST(SUM(value) AS BIGINT) FROM period_stats WHERE kind = $1 GROUP BY player_id, stat",
        )
        .bind(kind)
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(by_id(rows), expected, "period_stats of kind {kind}, summed over its periods");
    }
    db.close().await;

    // Each instance's boards follow the others' commits within moments; then all three agree.
    for (stat, key) in STATS.iter().enumerate() {
        let want = expected_board(stat, &ids, &expected);
        let path = format!("/api/v1/leaderboards/{key}?limit=100");
        let mut boards = Vec::new();
        for instance in 0..INSTANCES {
            let waiting = Instant::now();
            let board = loop {
                let board = cluster.get(instance, &path).await;
                if board["entries"].as_array() == Some(&want) || waiting.elapsed() > Duration::from_secs(5) {
                    break board;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            assert_eq!(board["total"], PLAYERS, "{key} on instance {instance}");
            assert_eq!(board["entries"].as_array(), Some(&want), "{key} on instance {instance}");
            boards.push(board);
        }
        assert!(boards.windows(2).all(|pair| pair[0] == pair[1]), "{key}: the instances disagree");
        let player = ids[stat % PLAYERS];
        let around = format!("/api/v1/leaderboards/{key}/players/{player}?radius=3");
        let ranks = [cluster.get(0, &around).await, cluster.get(1, &around).await, cluster.get(2, &around).await];
        assert!(ranks.windows(2).all(|pair| pair[0] == pair[1]), "{key}: ranks disagree: {ranks:?}");
    }

    for server in servers {
        let (status, log) = server.stop();
        assert!(status.success(), "graceful shutdown exits 0: {status}\n{log}");
    }
    eprintln!("three instances, {AWARDS} awards: {:.1} s in all", started.elapsed().as_secs_f64());
    drop(fresh);
}
