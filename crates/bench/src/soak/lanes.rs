//! The soak's lanes: each a kind of request sent over its own keep-alive
//! connections, some at full speed, the ones that write or hash at a pace,
//! so the database grows steadily rather than as fast as the disk allows.
//! The EventSub lanes' deliveries come from [`Feed`]s.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::time::MissedTickBehavior;

use super::eventsub::{Feed, Log};
use crate::{STATS, load};

/// Awards per batch request.
const BATCH: usize = 100;
/// Awards go to the players of the first this many ids, as a stream's awards
/// go to its active viewers; reads go to every player. At the soak's award
/// rate nearly every (player, stat) of them is on the day's, week's and
/// month's boards within three minutes, so those boards stop growing and
/// later growth of memory would be a leak, not data.
pub const ACTIVE: u64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Profile,
    Top,
    Around,
    Single,
    Batch,
    Login,
    Me,
    Chat,
    Events,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Profile => "profile `GET /api/v1/players/{id}`",
            Kind::Top => "top 10 `GET /api/v1/leaderboards/{stat}`",
            Kind::Around => "rank `GET /api/v1/leaderboards/{stat}/players/{id}`",
            Kind::Single => "single award `POST /api/v1/players/{id}/awards` (Idempotency-Key)",
            Kind::Batch => "batch of 100 awards `POST /api/v1/awards` (Idempotency-Key)",
            Kind::Login => "login `POST /api/v1/auth/login` (argon2)",
            Kind::Me => "`GET /api/v1/me` with the login's token",
            Kind::Chat => "EventSub `channel.chat.message` `POST /api/v1/twitch/eventsub`",
            Kind::Events => "EventSub cheers, follows, subs, redemptions, raids (same route)",
        }
    }
}

/// One lane: `conns` connections sending `kind`, each at most once per `pace`.
struct Lane {
    kind: Kind,
    conns: usize,
    pace: Option<Duration>,
}

/// The mix. Reads run flat out; awards are paced at about 2,000 a second in
/// all; logins at two a second, since each costs a core an argon2 hash;
/// EventSub chat at 300 messages a second (over 12 connections, as Twitch
/// delivers several at once), its other events at 20.
const LANES: [Lane; 8] = [
    Lane { kind: Kind::Profile, conns: 4, pace: None },
    Lane { kind: Kind::Top, conns: 1, pace: None },
    Lane { kind: Kind::Around, conns: 1, pace: None },
    Lane { kind: Kind::Single, conns: 4, pace: Some(Duration::from_millis(4)) },
    Lane { kind: Kind::Batch, conns: 1, pace: Some(Duration::from_millis(100)) },
    Lane { kind: Kind::Login, conns: 1, pace: Some(Duration::from_millis(500)) },
    Lane { kind: Kind::Chat, conns: 12, pace: Some(Duration::from_millis(40)) },
    Lane { kind: Kind::Events, conns: 1, pace: Some(Duration::from_millis(50)) },
];

#[derive(Default)]
pub struct Tally {
    pub ok: u64,
    /// Answers that were not 2xx, by status; 0 is a transport error.
    pub failed: BTreeMap<u16, u64>,
    pub latencies_us: Vec<u32>,
}

impl Tally {
    pub fn requests(&self) -> u64 {
        self.ok + self.errors()
    }

    pub fn errors(&self) -> u64 {
        self.failed.values().sum()
    }

    fn record(&mut self, begun: Instant, status: u16) {
        self.latencies_us.push(u32::try_from(begun.elapsed().as_micros()).unwrap_or(u32::MAX));
        if (200..300).contains(&status) {
            self.ok += 1;
        } else {
            *self.failed.entry(status).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        for (status, n) in other.failed {
            *self.failed.entry(status).or_default() += n;
        }
        self.latencies_us.extend(other.latencies_us);
    }
}

/// `(username, password)` of each account the login lane uses.
pub type Accounts = Vec<(String, String)>;

/// Signs up `count` players with passwords through the seed's route.
pub async fn register_accounts(addr: SocketAddr, count: usize) -> anyhow::Result<Accounts> {
    let mut sender = load::connect(addr).await?;
    let mut accounts = Vec::new();
    for n in 0..count {
        let (username, password) = (format!("soak{n}"), format!("soak-password-{n}-x7Q"));
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        let (status, body) = exchange(&mut sender, post("/api/users", None, body)).await?;
        anyhow::ensure!(status == 201, "signing up {username}: {status} {}", String::from_utf8_lossy(&body));
        accounts.push((username, password));
    }
    Ok(accounts)
}

/// Runs every lane until `deadline`; the tallies by kind, and what the EventSub deliveries acknowledged should have done.
pub async fn run_all(
    addr: SocketAddr,
    deadline: Instant,
    seed: u64,
    key: Arc<String>,
    accounts: Arc<Accounts>,
    players: u64,
) -> anyhow::Result<(Vec<(Kind, Tally)>, Log)> {
    let mut tasks = Vec::new();
    for (l, lane) in LANES.iter().enumerate() {
        for c in 0..lane.conns {
            let label = format!("{seed}-{l}-{c}");
            let connection = Connection {
                addr,
                kind: lane.kind,
                pace: lane.pace,
                deadline,
                key: key.clone(),
                accounts: accounts.clone(),
                players,
                rng: SmallRng::seed_from_u64(seed ^ ((l * 1000 + c) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                feed: Feed::new(lane.kind, &label, (c as u64, lane.conns as u64)),
                label,
            };
            tasks.push(tokio::spawn(connection.run()));
        }
    }
    let mut by_kind: BTreeMap<Kind, Tally> = BTreeMap::new();
    let mut log = Log::default();
    for task in tasks {
        let (tallies, feed) = task.await?;
        for (kind, tally) in tallies {
            by_kind.entry(kind).or_default().merge(tally);
        }
        log.merge(feed.map(|f| f.log).unwrap_or_default());
    }
    Ok((by_kind.into_iter().collect(), log))
}

struct Connection {
    addr: SocketAddr,
    kind: Kind,
    pace: Option<Duration>,
    deadline: Instant,
    key: Arc<String>,
    accounts: Arc<Accounts>,
    players: u64,
    rng: SmallRng,
    /// Makes this connection's Idempotency-Keys unique across the run.
    label: String,
    /// The EventSub lanes' deliveries.
    feed: Option<Feed>,
}

impl Connection {
    async fn run(mut self) -> (Vec<(Kind, Tally)>, Option<Feed>) {
        let mut tally = Tally::default();
        let mut me = Tally::default();
        let mut pace = self.pace.map(|every| {
            let mut interval = tokio::time::interval(every);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        let mut sender = None;
        let mut sent = 0u64;
        while Instant::now() < self.deadline {
            if let Some(pace) = pace.as_mut() {
                pace.tick().await;
            }
            sent += 1;
            let request = self.request(sent);
            let begun = Instant::now();
            if sender.is_none() {
                sender = load::connect(self.addr).await.ok();
            }
            let answer = match sender.as_mut() {
                Some(s) => exchange(s, request).await.ok(),
                None => None,
            };
            let status = answer.as_ref().map_or(0, |(status, _)| *status);
            tally.record(begun, status);
            if let Some(feed) = self.feed.as_mut() {
                feed.answered(status);
            }
            let Some((status, body)) = answer else {
                sender = None;
                continue;
            };
            if self.kind == Kind::Login && status == 200 {
                // The token the login gave must work at once.
                let token = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["access_token"].as_str().map(str::to_owned));
                let begun = Instant::now();
                let answer = match (token, sender.as_mut()) {
                    (Some(token), Some(s)) => exchange(s, get("/api/v1/me", Some(&token))).await.ok(),
                    _ => None,
                };
                me.record(begun, answer.map_or(0, |(status, _)| status));
            }
        }
        let mut tallies = vec![(self.kind, tally)];
        if self.kind == Kind::Login {
            tallies.push((Kind::Me, me));
        }
        (tallies, self.feed)
    }

    fn request(&mut self, n: u64) -> Request<Full<Bytes>> {
        let rng = &mut self.rng;
        let player = rng.gen_range(1..=self.players);
        let stat = STATS[rng.gen_range(0..STATS.len())];
        match self.kind {
            Kind::Profile => get(&format!("/api/v1/players/{player}"), None),
            Kind::Top => get(&format!("/api/v1/leaderboards/{stat}?limit=10"), None),
            Kind::Around => get(&format!("/api/v1/leaderboards/{stat}/players/{player}?radius=5"), None),
            Kind::Single => {
                let player = rng.gen_range(1..=self.players.min(ACTIVE));
                let body = format!(r#"{{"stats":{{"{stat}":{}}}}}"#, rng.gen_range(1..=10));
                self.award(&format!("/api/v1/players/{player}/awards"), body, n)
            }
            Kind::Batch => {
                let mut body = String::from(r#"{"awards":["#);
                for i in 0..BATCH {
                    let player = rng.gen_range(1..=self.players.min(ACTIVE));
                    let stat = STATS[rng.gen_range(0..STATS.len())];
                    let comma = if i > 0 { "," } else { "" };
                    let _ = write!(
                        body,
                        r#"{comma}{{"player_id":{player},"stat":"{stat}","amount":{}}}"#,
                        rng.gen_range(1..=10)
                    );
                }
                body.push_str("]}");
                self.award("/api/v1/awards", body, n)
            }
            Kind::Login | Kind::Me => {
                let (username, password) = &self.accounts[rng.gen_range(0..self.accounts.len())];
                let body = serde_json::json!({"username": username, "password": password}).to_string();
                post("/api/v1/auth/login", None, body)
            }
            Kind::Chat | Kind::Events => self.feed.as_mut().expect("EventSub lanes have a feed").next(rng),
        }
    }

    fn award(&self, path: &str, body: String, n: u64) -> Request<Full<Bytes>> {
        let mut request = post(path, Some(&self.key), body);
        let key = format!("soak-{}-{n}", self.label).parse().expect("a valid header value");
        request.headers_mut().insert("idempotency-key", key);
        request
    }
}

fn get(path: &str, bearer: Option<&str>) -> Request<Full<Bytes>> {
    let mut request = load::get(path);
    if let Some(token) = bearer {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("a valid header"));
    }
    request
}

pub(super) fn post(path: &str, bearer: Option<&str>, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    let mut request = Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("a valid request");
    if let Some(token) = bearer {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("a valid header"));
    }
    request
}

/// Sends one request and reads the whole answer.
pub(super) async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<(u16, Bytes)> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}
