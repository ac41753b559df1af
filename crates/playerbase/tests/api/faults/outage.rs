//! The database goes away and comes back (PostgreSQL only): the server
//! answers errors in between, within its request time limit, and recovers
//! by itself — pool, award writer and the announcements' LISTEN connection.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::proxy::{Proxy, through};
use crate::binary::create_api_key;
use crate::database::{FreshDatabase, pool, postgres_url};
use crate::process::Server;

/// The server's per-request time limit in this test.
const REQUEST_TIMEOUT_SECONDS: u64 = 3;
/// How long the database stays away.
const OUTAGE: Duration = Duration::from_secs(4);
/// How long the server reuses a readiness probe's outcome, and a little more.
const READINESS_REUSED_FOR: Duration = Duration::from_millis(1100);
/// How long the server may take to notice the database is back.
const RECOVERY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_its_database_going_away_and_coming_back() {
    let Some(admin) = postgres_url() else {
        eprintln!("PLAYERBASE_TEST_POSTGRES is not set; skipped (the outage test needs PostgreSQL)");
        return;
    };
    let fresh = FreshDatabase::postgres(admin).await;
    let key = create_api_key(&fresh.database, "outage", &["awards:write", "players:write"]);
    let (_, upstream) = through(&fresh.database, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(upstream).await;
    let (proxied, _) = through(&fresh.database, proxy.addr);
    let timeout = REQUEST_TIMEOUT_SECONDS.to_string();
    let mut server = Server::start_at(&proxied, &[("PLAYERBASE_LIMITS__REQUEST_TIMEOUT_SECONDS", timeout.as_str())]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let base = server.url("");
    let url = |path: &str| format!("{base}{path}");

    let created =
        http.post(url("/api/v1/players")).bearer_auth(&key).json(&json!({"username": "outage"})).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let award = |amount: i64| {
        http.post(url(&format!("/api/v1/players/{id}/awards")))
            .bearer_auth(&key)
            .json(&json!({"stats": {"meleeAtkXp": amount}}))
            .send()
    };
    assert_eq!(award(1).await.unwrap().status(), 200);
    assert_eq!(http.get(url("/readyz")).send().await.unwrap().status(), 200);

    // The database is gone: errors, each within the request time limit, no hang.
    proxy.cut();
    // A readiness probe's outcome stands for a second (a flood of /readyz opens one connection a second).
    tokio::time::sleep(READINESS_REUSED_FOR).await;
    let gone = Instant::now();
    let limit = Duration::from_secs(REQUEST_TIMEOUT_SECONDS + 2);
    let checks = [("GET", "/readyz"), ("POST", "award"), ("GET", "/api/v1/players/ID")];
    while gone.elapsed() < OUTAGE {
        for (method, what) in checks {
            let asked = Instant::now();
            let answer = match what {
                "award" => award(2).await.unwrap(),
                path => http.get(url(&path.replace("ID", &id.to_string()))).send().await.unwrap(),
            };
            let took = asked.elapsed();
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            // 503 `unavailable`, as /readyz says: a passing state to retry, not a fault (500).
            assert_eq!(status, 503, "{method} {what} with the database gone: {body}");
            assert_eq!(body["error"]["code"], "unavailable", "{method} {what}: {body}");
            assert!(took < limit, "{method} {what} took {took:?} with the database gone");
            if what == "/readyz" {
                // Within a load balancer's health-check timeout, which must see the 503 rather than time out.
                assert!(took < Duration::from_millis(2500), "/readyz took {took:?} with the database gone");
            }
        }
    }
    assert!(server.is_running(), "the server exited when its database went away");

    // The database is back: readiness, reads and awards recover by themselves.
    proxy.restore();
    let back = Instant::now();
    while http.get(url("/readyz")).send().await.unwrap().status() != 200 {
        assert!(back.elapsed() < RECOVERY, "/readyz still fails {RECOVERY:?} after the database came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while award(3).await.unwrap().status() != 200 {
        assert!(back.elapsed() < RECOVERY, "awards still fail {RECOVERY:?} after the database came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = back.elapsed();

    // Live events follow commits through the announcements again: an award
    // shows on the event stream, and the LISTEN connection is back.
    let mut events = http.get(url("/api/v1/events")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    for _ in 0..3 {
        let answer = award(1000).await.unwrap();
        assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    }
    let mut seen = String::new();
    let shown = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = events.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("\"amount\":1000") {
                return;
            }
        }
    })
    .await;
    assert!(shown.is_ok(), "no award event after the outage: {seen:?}");
    let db = pool(&fresh.database).await;
    let listening = Instant::now();
    loop {
        let ports: Vec<i32> = proxy.upstream_ports().into_iter().map(i32::from).collect();
        let listeners: Vec<Option<i32>> = sqlx::query_scalar(
            "SELECT client_port FROM pg_stat_activity WHERE application_name = 'playerbase' AND query LIKE 'LISTEN %'",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        if listeners.iter().flatten().any(|port| ports.contains(port)) {
            break;
        }
        assert!(listening.elapsed() < RECOVERY, "the server's LISTEN connection did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    db.close().await;

    // PostgreSQL stopped: its port refuses connections, which the pool
    // would retry for its whole timeout. /readyz still answers at once.
    proxy.stop_listening().await;
    readiness_fails_fast(&http, &url("/readyz"), "with the database's port closed").await;
    let asked = Instant::now();
    let read = http.get(url(&format!("/api/v1/players/{id}"))).send().await.unwrap();
    assert_eq!(read.status(), 503);
    assert!(asked.elapsed() < limit, "a read took {:?} with the database's port closed", asked.elapsed());
    proxy.listen_again().await;
    ready_again(&http, &url("/readyz"), "after the port opened again").await;

    // PostgreSQL hangs: connections are accepted and never answered. /readyz
    // gives up on its own probe within 2 s, under a health check's timeout.
    proxy.fall_silent();
    readiness_fails_fast(&http, &url("/readyz"), "with the database hanging").await;
    proxy.restore();
    ready_again(&http, &url("/readyz"), "after the database answered again").await;

    let profile: Value = http.get(url(&format!("/api/v1/players/{id}"))).send().await.unwrap().json().await.unwrap();
    let value = profile["stats"]["meleeAtkXp"].as_i64().unwrap();
    // 1 before, 3 after (several 3s if a retry raced the recovery), 3 × 1000; and any 2s the
    // writer committed after their callers had their 503.
    assert!(value >= 3004, "awards after the outage are applied: {value}");
    assert!(server.is_running());
    drop(events);
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    eprintln!("recovered {:.1} s after the database came back", recovered.as_secs_f64());
}

/// Once a reused probe has run out, `/readyz` says 503 within a health check's timeout.
async fn readiness_fails_fast(http: &reqwest::Client, readyz: &str, how: &str) {
    tokio::time::sleep(READINESS_REUSED_FOR).await;
    let asked = Instant::now();
    let ready = http.get(readyz).send().await.unwrap();
    let took = asked.elapsed();
    assert_eq!(ready.status(), 503, "/readyz {how}");
    assert!(took < Duration::from_millis(2500), "/readyz took {took:?} {how}");
}

async fn ready_again(http: &reqwest::Client, readyz: &str, how: &str) {
    let back = Instant::now();
    while http.get(readyz).send().await.unwrap().status() != 200 {
        assert!(back.elapsed() < RECOVERY, "/readyz still fails {RECOVERY:?} {how}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
