//! Live award events over server-sent events.

use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::Game;

/// Reads an SSE body a frame at a time.
pub struct EventStream {
    body: Body,
    buffer: String,
}

#[derive(Debug)]
pub struct Received {
    pub event: String,
    pub id: Option<i64>,
    pub data: Value,
}

impl EventStream {
    async fn open(g: &Game, last_event_id: Option<&str>) -> Self {
        Self::open_on(&g.t, last_event_id).await
    }

    pub async fn open_on(t: &crate::support::TestApp, last_event_id: Option<&str>) -> Self {
        let headers: Vec<(&str, &str)> = last_event_id.map(|id| ("last-event-id", id)).into_iter().collect();
        let response = t.respond(Method::GET, "/api/v1/events", &headers, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { body: response.into_body(), buffer: String::new() }
    }

    /// The next event, past keep-alive comments and the opening id.
    pub async fn next(&mut self) -> Received {
        loop {
            let block = self.next_block().await;
            let field = |name: &str| {
                block.lines().find_map(|line| line.strip_prefix(name).map(|rest| rest.trim_start().to_owned()))
            };
            let Some(event) = field("event:") else { continue };
            return Received {
                event,
                id: field("id:").map(|id| id.parse().unwrap()),
                data: serde_json::from_str(&field("data:").unwrap()).unwrap(),
            };
        }
    }

    /// The next message as sent, up to and with its blank line.
    async fn next_block(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                return self.buffer.drain(..end + 2).collect();
            }
            let frame = tokio::time::timeout(Duration::from_secs(10), self.body.frame())
                .await
                .expect("no event within 10 s")
                .expect("the stream ended")
                .unwrap();
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
            }
        }
    }
}

/// A client that loses its first stream before any award still has an id to
/// reconnect with (browsers' EventSource keeps the id of a message without data).
#[tokio::test]
async fn a_new_stream_opens_with_the_newest_id_so_an_early_reconnect_misses_nothing() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let mut empty = EventStream::open(&g, None).await;
    assert_eq!(empty.next_block().await, "id: 0\n\n", "no award yet");
    g.award(id, json!({"meleeAtkXp": 5})).await;
    let newest = g.t.state.store.last_ledger_id().await.unwrap();
    let mut first = EventStream::open(&g, None).await;
    assert_eq!(first.next_block().await, format!("id: {newest}\n\n"));
    drop(first);
    g.award(id, json!({"meleeAtkXp": 7})).await;
    let mut again = EventStream::open(&g, Some(&newest.to_string())).await;
    let missed = again.next().await;
    assert_eq!((missed.event.as_str(), &missed.data["amount"]), ("award", &json!(7)), "the award made in the gap");
    let live = empty.next().await;
    assert_eq!(live.data["amount"], 5, "the opening id is no award: the first award is the first event");
}

#[tokio::test]
async fn awards_are_streamed_as_they_commit() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let mut stream = EventStream::open(&g, None).await;
    g.award(id, json!({"meleeAtkXp": 50})).await;
    g.award(id, json!({"meleeAtkXp": 25})).await;
    let first = stream.next().await;
    assert_eq!(first.event, "award");
    assert_eq!(
        first.data,
        json!({"player_id": id, "username": "kicksent", "stat": "meleeAtkXp", "amount": 50, "value": 50})
    );
    let second = stream.next().await;
    assert_eq!(second.data["value"], 75);
    assert!(second.id.unwrap() > first.id.unwrap(), "ids are the ledger's");
    let ledger = g.t.get(&format!("/api/v1/players/{id}/awards")).await;
    assert_eq!(ledger.body["awards"][0]["id"].as_i64(), second.id);
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    for amount in [1, 2, 3] {
        g.award(id, json!({"meleeAtkXp": amount})).await;
    }
    let ledger = g.t.get(&format!("/api/v1/players/{id}/awards")).await;
    let oldest = ledger.body["awards"][2]["id"].as_i64().unwrap();
    let mut stream = EventStream::open(&g, Some(&oldest.to_string())).await;
    g.award(id, json!({"meleeAtkXp": 4})).await;
    let amounts: Vec<i64> = [stream.next().await, stream.next().await, stream.next().await]
        .iter()
        .map(|e| e.data["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [2, 3, 4], "the missed ones from the ledger, then live, none twice");
}

#[tokio::test]
async fn a_client_that_missed_more_than_the_catch_up_is_told_how_many_then_sent_the_newest() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    g.award(id, json!({"meleeAtkXp": 1})).await;
    let seen = g.t.get(&format!("/api/v1/players/{id}/awards")).await.body["awards"][0]["id"].as_i64().unwrap();
    // A gap of 100 ids after it, as a PostgreSQL transaction rolled back leaves.
    let gap = if g.t.on_postgres() {
        format!("SELECT setval(pg_get_serial_sequence('ledger', 'id'), {})", seen + 100)
    } else {
        format!("UPDATE sqlite_sequence SET seq = {} WHERE name = 'ledger'", seen + 100)
    };
    sqlx::query(&gap).execute(&g.t.db().await).await.unwrap();
    let awards: Vec<Value> = (0..1_500).map(|_| json!({"player_id": id, "stat": "meleeAtkXp", "amount": 1})).collect();
    assert_eq!(g.batch(json!({"awards": awards}), None).await.body, json!({"applied": 1_500}));

    let mut stream = EventStream::open(&g, Some(&seen.to_string())).await;
    g.award(id, json!({"meleeAtkXp": 1})).await;
    let lagged = stream.next().await;
    assert_eq!((lagged.event.as_str(), &lagged.data), ("lagged", &json!({"missed": 500})), "events, not ids");
    let first = stream.next().await;
    assert_eq!((first.id, first.data["value"].as_i64()), (Some(seen + 601), Some(502)), "the newest 1,000 follow");
    let mut last = first;
    for _ in 1..1_000 {
        let next = stream.next().await;
        assert_eq!(next.id, last.id.map(|id| id + 1), "in order, none skipped");
        last = next;
    }
    let live = stream.next().await;
    assert_eq!((live.event.as_str(), live.data["value"].as_i64()), ("award", Some(1_502)), "then the live one");
}

#[tokio::test]
async fn a_last_event_id_from_beyond_the_ledger_does_not_mute_the_stream() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    g.award(id, json!({"meleeAtkXp": 1})).await;
    // An overlay reconnecting to a database restored from an older backup.
    let mut stream = EventStream::open(&g, Some("99999999")).await;
    g.award(id, json!({"meleeAtkXp": 2})).await;
    let live = stream.next().await;
    assert_eq!((live.event.as_str(), live.data["amount"].as_i64()), ("award", Some(2)));
}

#[tokio::test]
async fn a_slow_reader_is_told_it_lagged_and_never_slows_the_writer() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let mut stream = EventStream::open(&g, None).await;
    let awards: Vec<Value> = (0..10_000).map(|_| json!({"player_id": id, "stat": "meleeAtkXp", "amount": 1})).collect();
    let started = std::time::Instant::now();
    for _ in 0..7 {
        let reply = g.batch(json!({"awards": awards}), None).await;
        assert_eq!(reply.body, json!({"applied": 10_000}), "the writer finished while nobody read the stream");
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    let lagged = stream.next().await;
    assert_eq!(lagged.event, "lagged");
    let missed = lagged.data["missed"].as_u64().unwrap();
    assert!(missed > 0 && missed < 70_000, "{missed}");
    let next = stream.next().await;
    assert_eq!(next.event, "award");
    assert_eq!(next.data["value"].as_u64().unwrap(), missed + 1, "skipped ahead past what it missed");
}

/// Full batches (10,000 awards each) sent together commit as one group,
/// published at once: a reader must get every award, not a `lagged` for
/// the first thousands.
#[tokio::test]
async fn batches_committed_together_reach_a_reader_that_keeps_up_whole() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let mut stream = EventStream::open(&g, None).await;
    let awards: Vec<Value> = (0..10_000).map(|_| json!({"player_id": id, "stat": "shieldXp", "amount": 1})).collect();
    let body = json!({"awards": awards});
    let replies = futures_util::future::join_all((0..4).map(|_| g.batch(body.clone(), None))).await;
    assert!(replies.iter().all(|reply| reply.body == json!({"applied": 10_000})));
    for value in 1..=40_000 {
        let event = stream.next().await;
        assert_eq!((event.event.as_str(), event.data["value"].as_i64()), ("award", Some(value)), "{:?}", event.data);
    }
}

#[tokio::test]
async fn one_address_keeps_at_most_32_streams_open_and_a_closed_one_makes_room() {
    let mut config = playerbase::Config::default();
    config.limits.trust_forwarded_for = true;
    let t = crate::support::TestApp::with_config(config).await;
    let open = |ip: &'static str| {
        let t = &t;
        async move { t.respond(Method::GET, "/api/v1/events", &[("x-forwarded-for", ip)], None).await }
    };
    let mut streams = Vec::new();
    for _ in 0..32 {
        let stream = open("203.0.113.7").await;
        assert_eq!(stream.status(), 200);
        streams.push(stream);
    }
    let refused = open("203.0.113.7").await;
    assert_eq!(refused.status(), 429, "every connection could otherwise be held by one client");
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(open("203.0.113.8").await.status(), 200, "another address has its own");
    streams.pop();
    assert_eq!(open("203.0.113.7").await.status(), 200, "a closed stream gives its place back");
}
