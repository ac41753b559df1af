//! Deciding a group of jobs against the values read in the writer's
//! transaction: pure, so every rule is tested without a database.

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use serde_json::json;

use super::job::{Answer, AwardJob, Claim, FromTwitch, PlayerRef, Reply};
use crate::domain::{FastMap, Period, PeriodKey, StatCatalog};
use crate::leaderboards::Change;
use crate::store::awards::{CooldownKey, IdempotencyKey, NewLedgerRow, StatValue, StoredReply};

/// A player's stat, as the store is asked for it.
pub type Pair = (i64, String);

/// A value's address: period, player, stat (by catalog index).
type Slot = (PeriodKey, i64, usize);

/// What the writer read in its transaction.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub replies: HashMap<IdempotencyKey, StoredReply>,
    pub usernames: HashMap<i64, String>,
    pub twitch: HashMap<String, i64>,
    pub values: FastMap<Slot, i64>,
    /// EventSub messages of the group applied before.
    pub applied_messages: HashSet<String>,
    /// The last award time (unix milliseconds) of each cooldown the group's awards are subject to.
    pub cooldowns: HashMap<CooldownKey, i64>,
}

/// A ledger row and who it names, for the live events.
#[derive(Debug, Clone)]
pub struct Applied {
    pub row: NewLedgerRow,
    pub username: String,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// One per job, in order.
    pub replies: Vec<Reply>,
    pub applied: Vec<Applied>,
    pub writes: HashMap<PeriodKey, Vec<StatValue>>,
    pub changes: Vec<Change>,
    pub new_replies: Vec<StoredReply>,
    /// EventSub messages to mark applied: refused ones too, since a retry would be refused again.
    pub applied_messages: Vec<String>,
    pub cooldowns: HashMap<CooldownKey, i64>,
}

/// The `(player_id, stat)` pairs a group reads once Twitch ids are resolved:
/// for all time, the awarded pairs and every stat of a player whose answer
/// shows them all; for the running periods, only the awarded pairs.
pub fn pairs_to_read(
    jobs: &[AwardJob],
    twitch: &HashMap<String, i64>,
    catalog: &StatCatalog,
) -> (Vec<Pair>, Vec<Pair>) {
    let mut awarded = Vec::new();
    let mut shown = Vec::new();
    for job in jobs {
        if let Answer::PlayerStats(player_id) = job.answer {
            shown.extend(catalog.iter().map(|def| (player_id, def.key.clone())));
        }
        for award in &job.awards {
            let player_id = match &award.player {
                PlayerRef::Id(id) => Some(*id),
                PlayerRef::Twitch(twitch_id) => twitch.get(twitch_id).copied(),
            };
            if let Some(player_id) = player_id {
                awarded.push((player_id, award.stat.clone()));
            }
        }
    }
    awarded.sort_unstable();
    awarded.dedup();
    shown.extend(awarded.iter().cloned());
    shown.sort_unstable();
    shown.dedup();
    (shown, awarded)
}

struct Planner<'a> {
    catalog: &'a StatCatalog,
    periods: &'a [PeriodKey],
    now: i64,
    snapshot: Snapshot,
    /// The value each changed slot had before the group.
    before: FastMap<Slot, Option<i64>>,
}

pub fn plan(jobs: &[AwardJob], snapshot: Snapshot, catalog: &StatCatalog, periods: &[PeriodKey], now: i64) -> Plan {
    let mut planner = Planner { catalog, periods, now, snapshot, before: FastMap::default() };
    let mut plan = Plan::default();
    for job in jobs {
        if let Some(claim) = &job.claim
            && let Some(first) = planner.snapshot.replies.get(&claim.key)
        {
            plan.replies.push(replay(first, claim));
            continue;
        }
        let gated;
        let job = match &job.twitch {
            Some(twitch) => {
                if !planner.snapshot.applied_messages.insert(twitch.message_id.clone()) {
                    plan.replies.push(Reply::ok(json!({"applied": 0, "duplicate": true})));
                    continue;
                }
                plan.applied_messages.push(twitch.message_id.clone());
                gated = planner.gate(job, twitch, &mut plan.cooldowns);
                &gated
            }
            None => job,
        };
        let reply = match planner.try_job(job) {
            Ok((reply, applied)) => {
                plan.applied.extend(applied);
                reply
            }
            Err(refusal) => refusal,
        };
        if let Some(claim) = &job.claim {
            let stored = StoredReply {
                key: claim.key.clone(),
                request_hash: claim.request_hash.clone(),
                status: reply.status,
                body: reply.body.to_string(),
                created_at: now,
            };
            planner.snapshot.replies.insert(claim.key.clone(), stored.clone());
            plan.new_replies.push(stored);
        }
        plan.replies.push(reply);
    }
    for (slot, old) in planner.before {
        let (period, player_id, stat) = slot;
        let new = planner.snapshot.values[&slot];
        let key = catalog.by_index(stat).key.clone();
        plan.writes.entry(period).or_default().push((player_id, key.clone(), new));
        plan.changes.push(Change { stat: key, period, player_id, old, new });
    }
    plan
}

/// The first answer again for the same request; 409 for another.
pub fn replay(first: &StoredReply, claim: &Claim) -> Reply {
    if !claim.is_of(&first.request_hash) {
        return Reply::error(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
        );
    }
    let body = serde_json::from_str(&first.body).unwrap_or_default();
    Reply { status: first.status, body }
}

impl Planner<'_> {
    /// The job without the awards still in their cooldown; the ones kept start theirs.
    fn gate(&mut self, job: &AwardJob, twitch: &FromTwitch, writes: &mut HashMap<CooldownKey, i64>) -> AwardJob {
        let mut kept = AwardJob { awards: Vec::with_capacity(job.awards.len()), ..job.clone() };
        for (i, award) in job.awards.iter().enumerate() {
            if let Some(Some(cooldown)) = twitch.cooldowns.get(i) {
                let last = self.snapshot.cooldowns.get(&cooldown.key).copied();
                if last.is_some_and(|last| cooldown.at_ms - last < cooldown.seconds.saturating_mul(1000)) {
                    continue;
                }
                self.snapshot.cooldowns.insert(cooldown.key.clone(), cooldown.at_ms);
                writes.insert(cooldown.key.clone(), cooldown.at_ms);
            }
            kept.awards.push(award.clone());
        }
        kept
    }

    fn resolve(&self, player: &PlayerRef) -> Result<(i64, String), Reply> {
        let id = match player {
            PlayerRef::Id(id) => Some(*id),
            PlayerRef::Twitch(twitch_id) => self.snapshot.twitch.get(twitch_id).copied(),
        };
        id.and_then(|id| Some((id, self.snapshot.usernames.get(&id)?.clone()))).ok_or_else(|| {
            let what = match player {
                PlayerRef::Id(id) => format!("no player with id {id}"),
                PlayerRef::Twitch(twitch_id) => format!("no player with Twitch user id {twitch_id:?}"),
            };
            Reply::error(StatusCode::NOT_FOUND, "player_not_found", what)
        })
    }

    /// Applies a job to a scratch copy; only a job that succeeds whole is kept.
    fn try_job(&mut self, job: &AwardJob) -> Result<(Reply, Vec<Applied>), Reply> {
        if let Answer::PlayerStats(player_id) = job.answer {
            self.resolve(&PlayerRef::Id(player_id))?;
        }
        let mut scratch: FastMap<Slot, i64> = FastMap::default();
        let mut applied = Vec::with_capacity(job.awards.len());
        for award in &job.awards {
            let stat = self.catalog.index_of(&award.stat).ok_or_else(|| {
                Reply::error(StatusCode::UNPROCESSABLE_ENTITY, "unknown_stat", format!("no stat {:?}", award.stat))
            })?;
            let def = self.catalog.by_index(stat);
            let (player_id, username) = self.resolve(&award.player)?;
            let mut value_after = 0;
            for &period in self.periods {
                let slot = (period, player_id, stat);
                let current = scratch.get(&slot).or_else(|| self.snapshot.values.get(&slot)).copied();
                let next = if period.period == Period::All {
                    def.apply(current, award.amount)
                } else {
                    def.period_value(current, award.amount)
                }
                .map_err(|why| Reply::error(StatusCode::UNPROCESSABLE_ENTITY, "out_of_bounds", why.0))?;
                if period.period == Period::All {
                    value_after = next;
                }
                scratch.insert(slot, next);
            }
            let row = NewLedgerRow {
                player_id,
                stat: def.key.clone(),
                amount: award.amount,
                value_after,
                source: job.source.clone(),
                reason: job.reason.clone(),
                at: self.now,
                twitch_message_id: job.twitch.as_ref().map(|t| t.message_id.clone()),
            };
            applied.push(Applied { row, username });
        }
        for (slot, value) in scratch {
            let old = self.snapshot.values.insert(slot, value);
            self.before.entry(slot).or_insert(old);
        }
        let reply = match job.answer {
            Answer::Applied => Reply::ok(json!({"applied": applied.len()})),
            Answer::PlayerStats(player_id) => {
                let stats: serde_json::Map<_, _> = self
                    .catalog
                    .iter()
                    .enumerate()
                    .map(|(i, def)| {
                        let value = self.snapshot.values.get(&(PeriodKey::ALL_TIME, player_id, i)).copied();
                        (def.key.clone(), value.unwrap_or(def.default).into())
                    })
                    .collect();
                Reply::ok(json!({"player_id": player_id, "stats": stats}))
            }
        };
        Ok((reply, applied))
    }
}
