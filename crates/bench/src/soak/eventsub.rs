//! The soak's EventSub lanes: Twitch's webhook deliveries to
//! `POST /api/v1/twitch/eventsub`, signed as Twitch signs them (with the
//! server's own `sign`), a few of them sent again exactly as a retry would
//! be; and, for every delivery acknowledged, what it must leave in the
//! database, which `check` compares after the run.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use playerbase::twitch::eventsub::message::{
    CHAT_MESSAGE, CHEER, FOLLOW, RAID, REDEMPTION, STREAM_OFFLINE, STREAM_ONLINE, SUBSCRIBE,
};
use playerbase::twitch::eventsub::verify::sign;
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::lanes::{self, Kind};
use crate::load;

const SECRET: &str = "soak-eventsub-secret-0042";
const BROADCASTER: &str = "44429626";
/// Twitch's OAuth server and Helix for the server: a loopback port below
/// 1024, outside the ephemeral range, where nothing listens, so each call
/// (the bot's answers to `!stats`) is refused at once and nothing leaves
/// the machine. The server logs the failure; the delivery was answered already.
const TWITCH_NOWHERE: &str = "http://127.0.0.1:1";
/// The Twitch ids of the viewers who chat, cheer, follow, …: the chat storm
/// picks among them at random, so new players keep appearing for minutes,
/// then none.
pub const VIEWERS: u64 = 20_000;
const FIRST_VIEWER: u64 = 10_000_000;
/// Broadcasters who raid, now and then.
const RAIDERS: u64 = 50;
const FIRST_RAIDER: u64 = 90_000_000;
/// Of all deliveries, the share sent again exactly (id, timestamp, body and
/// signature), as Twitch retries, picked among the newest acknowledged ones.
const RESEND: f64 = 0.02;
const RECENT: usize = 512;

/// The award rules, as the server is configured and as `Feed` expects them.
const CHAT_STAT: &str = "speedXp";
const CHAT_COOLDOWN: i64 = 60;
const FOLLOW_AMOUNT: i64 = 10;
const SUB_AMOUNT: i64 = 100;
const PER_BIT: i64 = 2;
const REWARD: &str = "Hydrate";
const REWARD_AMOUNT: i64 = 25;
const RAID_AMOUNT: i64 = 50;
const PER_VIEWER: i64 = 2;

/// `PLAYERBASE_*` settings of a server with Twitch configured: ids and
/// secrets as numbers where they may be, one rule per event type.
pub fn server_env() -> Vec<(&'static str, String)> {
    let rules = format!(
        "[{{event=\"{CHAT_MESSAGE}\",stat=\"{CHAT_STAT}\",amount=1,cooldown_seconds={CHAT_COOLDOWN}}},\
         {{event=\"{FOLLOW}\",stat=\"shieldXp\",amount={FOLLOW_AMOUNT}}},\
         {{event=\"{SUBSCRIBE}\",stat=\"healthXp\",amount={SUB_AMOUNT}}},\
         {{event=\"{CHEER}\",stat=\"mageAtkXp\",per_bit={PER_BIT}}},\
         {{event=\"{REDEMPTION}\",stat=\"evasionXp\",reward=\"{REWARD}\",amount={REWARD_AMOUNT}}},\
         {{event=\"{RAID}\",stat=\"rangeAtkXp\",amount={RAID_AMOUNT},per_viewer={PER_VIEWER}}}]"
    );
    vec![
        ("PLAYERBASE_TWITCH__CLIENT_ID", "4242424242".into()),
        ("PLAYERBASE_TWITCH__CLIENT_SECRET", "123456789012345".into()),
        ("PLAYERBASE_TWITCH__EVENTSUB_SECRET", SECRET.into()),
        ("PLAYERBASE_TWITCH__BROADCASTER_USER_ID", BROADCASTER.into()),
        ("PLAYERBASE_TWITCH__OAUTH_URL", format!("{TWITCH_NOWHERE}/oauth2")),
        ("PLAYERBASE_TWITCH__HELIX_URL", format!("{TWITCH_NOWHERE}/helix")),
        ("PLAYERBASE_TWITCH__CHAT__BOT_USER_ID", "12826".into()),
        ("PLAYERBASE_TWITCH__RULES", rules),
    ]
}

/// The log line of each chat answer the server could not send.
pub const ANSWER_FAILED: &str = "could not answer a chat command";

/// What the acknowledged deliveries must have left in the database.
#[derive(Debug, Default)]
pub struct Log {
    /// Distinct messages acknowledged, by subscription type.
    pub messages: BTreeMap<&'static str, u64>,
    /// Exact resends acknowledged (each must not be applied again).
    pub resent: u64,
    /// Ledger rows and their amounts, by subscription type.
    pub ledger: BTreeMap<&'static str, (u64, i64)>,
    /// Twitch ids that must be players.
    pub viewers: HashSet<u64>,
}

impl Log {
    pub fn merge(&mut self, other: Log) {
        for (kind, n) in other.messages {
            *self.messages.entry(kind).or_default() += n;
        }
        self.resent += other.resent;
        for (kind, (rows, amount)) in other.ledger {
            let mine = self.ledger.entry(kind).or_default();
            mine.0 += rows;
            mine.1 += amount;
        }
        self.viewers.extend(other.viewers);
    }

    pub fn distinct(&self) -> u64 {
        self.messages.values().sum()
    }
}

#[derive(Clone)]
struct Delivery {
    id: String,
    timestamp: String,
    /// The timestamp in unix milliseconds, as the server reads it.
    sent_at_ms: i64,
    kind: &'static str,
    body: Bytes,
    signature: String,
}

/// What a new message is worth once acknowledged.
#[derive(Default)]
struct Worth {
    /// The Twitch id it makes a player.
    viewer: Option<u64>,
    /// The amount of its one ledger row.
    award: Option<i64>,
    /// A chat message of this chatter, earning under the cooldown.
    chatter: Option<u64>,
}

/// The delivery under way; a resend is worth nothing new.
struct Pending {
    delivery: Delivery,
    resend: bool,
    worth: Worth,
}

/// The deliveries of one connection. A chat lane's connection sends the
/// messages of its own share of the chatters, one at a time, so it knows
/// the order the server applies each chatter's messages in, and so which
/// ones the cooldown lets through.
pub struct Feed {
    kind: Kind,
    label: String,
    /// `(this connection, connections)` of the chat lane.
    part: (u64, u64),
    sent: u64,
    pending: Option<Pending>,
    recent: VecDeque<Delivery>,
    /// A chatter's last award, unix milliseconds (Twitch's timestamp).
    last_chat_award: HashMap<u64, i64>,
    pub log: Log,
}

impl Feed {
    /// The feed of an EventSub lane's connection `part.0` of `part.1`; none for other lanes.
    pub fn new(kind: Kind, label: &str, part: (u64, u64)) -> Option<Self> {
        matches!(kind, Kind::Chat | Kind::Events).then(|| Self {
            kind,
            label: format!("soak-eventsub-{label}"),
            part,
            sent: 0,
            pending: None,
            recent: VecDeque::new(),
            last_chat_award: HashMap::new(),
            log: Log::default(),
        })
    }

    /// The next delivery: now and then a resend, else a new message.
    pub fn next(&mut self, rng: &mut SmallRng) -> Request<Full<Bytes>> {
        if !self.recent.is_empty() && rng.gen_bool(RESEND) {
            let delivery = self.recent[rng.gen_range(0..self.recent.len())].clone();
            return self.send(Pending { delivery, resend: true, worth: Worth::default() });
        }
        let (kind, event, worth) = match self.kind {
            Kind::Chat => self.chat(rng),
            _ => event(rng),
        };
        let delivery = self.delivery(kind, event, OffsetDateTime::now_utc());
        self.send(Pending { delivery, resend: false, worth })
    }

    /// `stream.online` (at the start) or `stream.offline` (at the end).
    pub fn stream(&mut self, online: bool) -> Request<Full<Bytes>> {
        let now = OffsetDateTime::now_utc();
        let mut event = json!({"broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "soakstreamer"});
        let kind = if online {
            event["id"] = json!("9001");
            event["type"] = json!("live");
            event["started_at"] = json!(now.format(&Rfc3339).expect("a formattable time"));
            STREAM_ONLINE
        } else {
            STREAM_OFFLINE
        };
        let delivery = self.delivery(kind, event, now);
        self.send(Pending { delivery, resend: false, worth: Worth::default() })
    }

    /// Counts the delivery under way as acknowledged if `status` is a 2xx.
    pub fn answered(&mut self, status: u16) {
        let Some(p) = self.pending.take() else { return };
        if !(200..300).contains(&status) {
            return;
        }
        if p.resend {
            self.log.resent += 1;
            return;
        }
        let (kind, at_ms) = (p.delivery.kind, p.delivery.sent_at_ms);
        *self.log.messages.entry(kind).or_default() += 1;
        self.log.viewers.extend(p.worth.viewer);
        let award = match p.worth.chatter {
            Some(chatter) => {
                let last = self.last_chat_award.get(&chatter);
                let earns = last.is_none_or(|last| at_ms - last >= CHAT_COOLDOWN * 1000);
                if earns {
                    self.last_chat_award.insert(chatter, at_ms);
                }
                earns.then_some(1)
            }
            None => p.worth.award,
        };
        if let Some(amount) = award {
            let entry = self.log.ledger.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += amount;
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(p.delivery);
    }

    /// A chat message from one of this connection's chatters: mostly
    /// talk, which earns under the cooldown; now and then `!join` (a player,
    /// no award) or `!stats` (answered through Helix, which is nowhere).
    fn chat(&self, rng: &mut SmallRng) -> (&'static str, Value, Worth) {
        let (part, parts) = self.part;
        let n = rng.gen_range(0..VIEWERS / parts) * parts + part;
        let (id, login) = viewer(n);
        let roll = rng.gen_range(0..200);
        let text = match roll {
            0 => "!join".to_owned(),
            1 => "!stats".to_owned(),
            _ => format!("hype {}", rng.gen_range(0..1000)),
        };
        let event = json!({
            "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "soakstreamer", "broadcaster_user_name": "SoakStreamer",
            "chatter_user_id": id.to_string(), "chatter_user_login": login, "chatter_user_name": login,
            "message_id": format!("{}-{}", self.label, self.sent), "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
            "color": "#00FF7F", "badges": [], "message_type": "text", "cheer": null, "reply": null,
        });
        let worth = Worth { viewer: (roll != 1).then_some(id), award: None, chatter: (roll > 1).then_some(id) };
        (CHAT_MESSAGE, event, worth)
    }

    fn delivery(&mut self, kind: &'static str, event: Value, sent_at: OffsetDateTime) -> Delivery {
        self.sent += 1;
        let id = format!("{}-{}", self.label, self.sent);
        let timestamp = sent_at.format(&Rfc3339).expect("a formattable time");
        let body = json!({
            "subscription": {
                "id": format!("soak-subscription-{kind}"), "status": "enabled", "type": kind, "version": version(kind), "cost": 0,
                "condition": {"broadcaster_user_id": BROADCASTER},
                "transport": {"method": "webhook", "callback": "http://127.0.0.1/api/v1/twitch/eventsub"},
                "created_at": "2026-12-01T00:00:00.000Z"
            },
            "event": event
        })
        .to_string();
        let signature = sign(SECRET.as_bytes(), &id, &timestamp, body.as_bytes());
        Delivery {
            id,
            timestamp,
            sent_at_ms: sent_at.unix_timestamp_nanos().div_euclid(1_000_000) as i64,
            kind,
            body: Bytes::from(body),
            signature,
        }
    }

    fn send(&mut self, pending: Pending) -> Request<Full<Bytes>> {
        let d = &pending.delivery;
        let mut request = lanes::post("/api/v1/twitch/eventsub", None, d.body.clone());
        let headers = request.headers_mut();
        for (name, value) in [
            ("twitch-eventsub-message-id", d.id.as_str()),
            ("twitch-eventsub-message-retry", if pending.resend { "1" } else { "0" }),
            ("twitch-eventsub-message-type", "notification"),
            ("twitch-eventsub-message-signature", d.signature.as_str()),
            ("twitch-eventsub-message-timestamp", d.timestamp.as_str()),
            ("twitch-eventsub-subscription-type", d.kind),
            ("twitch-eventsub-subscription-version", version(d.kind)),
        ] {
            headers.insert(name, value.parse().expect("a valid header value"));
        }
        self.pending = Some(pending);
        request
    }
}

/// Sends `stream.online` or `stream.offline` once; an error unless acknowledged.
pub async fn stream_change(addr: SocketAddr, feed: &mut Feed, online: bool) -> anyhow::Result<()> {
    let mut sender = load::connect(addr).await?;
    let (status, body) = lanes::exchange(&mut sender, feed.stream(online)).await?;
    feed.answered(status);
    anyhow::ensure!((200..300).contains(&status), "stream change: {status} {}", String::from_utf8_lossy(&body));
    Ok(())
}

fn viewer(n: u64) -> (u64, String) {
    (FIRST_VIEWER + n, format!("viewer{n}"))
}

/// The subscription version playerbase subscribes to: follows are v2.
fn version(kind: &str) -> &'static str {
    if kind == FOLLOW { "2" } else { "1" }
}

/// A viewer's (or raider's) event other than chat, with what it earns.
fn event(rng: &mut SmallRng) -> (&'static str, Value, Worth) {
    let (id, login) = viewer(rng.gen_range(0..VIEWERS));
    let mut event = json!({
        "user_id": id.to_string(), "user_login": login, "user_name": login,
        "broadcaster_user_id": BROADCASTER, "broadcaster_user_login": "soakstreamer", "broadcaster_user_name": "SoakStreamer",
    });
    let worth = |viewer: Option<u64>, award: Option<i64>| Worth { viewer, award, chatter: None };
    let roll = rng.gen_range(0..100);
    match roll {
        0..35 => {
            let bits = rng.gen_range(1..=500);
            event["bits"] = json!(bits);
            event["message"] = json!(format!("Cheer{bits}"));
            event["is_anonymous"] = json!(false);
            if roll < 2 {
                // Anonymous: acknowledged, nobody named, nothing awarded.
                for field in ["user_id", "user_login", "user_name"] {
                    event[field] = Value::Null;
                }
                event["is_anonymous"] = json!(true);
                return (CHEER, event, worth(None, None));
            }
            (CHEER, event, worth(Some(id), Some(PER_BIT * bits)))
        }
        35..55 => {
            event["followed_at"] = json!("2026-12-01T00:00:00.000Z");
            (FOLLOW, event, worth(Some(id), Some(FOLLOW_AMOUNT)))
        }
        55..70 => {
            event["tier"] = json!(["1000", "2000", "3000"][rng.gen_range(0..3)]);
            event["is_gift"] = json!(rng.gen_bool(0.2));
            (SUBSCRIBE, event, worth(Some(id), Some(SUB_AMOUNT)))
        }
        70..98 => {
            // One in five redeems a reward no rule names: a player, no award.
            let (title, award) = if roll < 92 { (REWARD, Some(REWARD_AMOUNT)) } else { ("Stretch", None) };
            event["id"] = json!(format!("redemption-{}", rng.gen_range(0..u64::MAX)));
            event["user_input"] = json!("");
            event["status"] = json!("unfulfilled");
            event["reward"] = json!({"id": format!("reward-{title}"), "title": title, "cost": 100, "prompt": ""});
            event["redeemed_at"] = json!("2026-12-01T00:00:00.000Z");
            (REDEMPTION, event, worth(Some(id), award))
        }
        _ => {
            let raider = FIRST_RAIDER + rng.gen_range(0..RAIDERS);
            let viewers = rng.gen_range(1..=2000);
            let event = json!({
                "from_broadcaster_user_id": raider.to_string(), "from_broadcaster_user_login": format!("raider{raider}"),
                "from_broadcaster_user_name": format!("Raider{raider}"),
                "to_broadcaster_user_id": BROADCASTER, "to_broadcaster_user_login": "soakstreamer",
                "to_broadcaster_user_name": "SoakStreamer", "viewers": viewers,
            });
            (RAID, event, worth(Some(raider), Some(RAID_AMOUNT + PER_VIEWER * viewers)))
        }
    }
}
