//! The award writer: one task per database takes every job waiting,
//! applies them in one transaction (group commit), and answers each caller
//! only after the commit. A second task shows each commit, in commit order,
//! on the boards, the profiles and the live events, then answers its
//! callers; meanwhile the writer is already on the next group.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::http::StatusCode;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::events::{AwardEvent, Events};
use super::feed::Announcement;
use super::job::{Answer, AwardJob, PlayerRef, Reply};
use super::plan::{self, Plan, Snapshot};
use super::room::{Room, Taken};
use crate::accounts::viewers;
use crate::domain::{FastMap, Period, PeriodKey, StatCatalog, periods};
use crate::error::DATABASE_UNREACHABLE;
use crate::leaderboards::Leaderboards;
use crate::metrics::Metrics;
use crate::profiles::Profiles;
use crate::state::Clock;
use crate::store::awards::WriteTx;
use crate::store::twitch::Stream;
use crate::store::{Store, StoreError, StoreResult};

/// Jobs queued before callers wait to submit.
const QUEUE: usize = 4096;
/// Awards queued before callers wait to submit: four times what one group takes.
const QUEUED_AWARDS: usize = 4 * GROUP_AWARDS;
/// Committed groups waiting to be shown before the writer waits: one
/// being shown and one more keep both tasks busy without letting the
/// boards fall behind the database.
const SHOW_QUEUE: usize = 2;
/// Awards one transaction takes at most, so one group's latency stays bounded.
const GROUP_AWARDS: usize = 50_000;
// A group takes jobs until it holds GROUP_AWARDS, so it may end one batch past
// it; it is published at once, and the live events must hold it whole.
const _: () = assert!(super::events::BUFFER >= GROUP_AWARDS + super::MAX_BATCH);

enum Message {
    /// Boxed: a job is large, and the queue holds thousands in a burst.
    Job(Box<AwardJob>, oneshot::Sender<Reply>, Taken),
    Stop(oneshot::Sender<()>),
}

/// What the writer hands to the task that shows its commits.
enum Shown {
    Group(CommittedPlan, Vec<oneshot::Sender<Reply>>),
    /// Everything before it has been shown.
    Stop(oneshot::Sender<()>),
}

/// The handle callers submit jobs through. Cheap to clone.
#[derive(Clone)]
pub struct Awards {
    queue: mpsc::Sender<Message>,
    room: Room,
}

pub struct Writer {
    pub store: Arc<dyn Store>,
    pub catalog: StatCatalog,
    pub boards: Arc<Leaderboards>,
    /// Where this server is the database's one writer: every player's profile.
    pub profiles: Arc<Profiles>,
    pub events: Events,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Where instances share the database: the last announcement this
    /// instance's follower has applied. Commits are then applied to the
    /// boards and events by the follower, in the order of every instance's commits.
    pub applied: Option<watch::Receiver<i64>>,
}

/// How long a writer waits for its own commit to show on the boards before answering anyway.
const SHOW_WITHIN: Duration = Duration::from_secs(10);

impl Awards {
    pub fn start(writer: Writer) -> Self {
        let (queue, inbox) = mpsc::channel(QUEUE);
        let (to_show, shown) = mpsc::channel(SHOW_QUEUE);
        let writer = Arc::new(writer);
        tokio::spawn(writer.clone().show(shown));
        tokio::spawn(writer.run(inbox, to_show));
        Self { queue, room: Room::new(QUEUED_AWARDS) }
    }

    /// Queues `job` once there is room for its awards; false if the writer is gone.
    async fn queue(&self, job: AwardJob, answer: oneshot::Sender<Reply>) -> bool {
        let taken = self.room.take(job.awards.len()).await;
        self.queue.send(Message::Job(Box::new(job), answer, taken)).await.is_ok()
    }

    /// Applies `job` and answers once it is committed (or refused).
    pub async fn submit(&self, job: AwardJob) -> Reply {
        let (answer, reply) = oneshot::channel();
        if !self.queue(job, answer).await {
            return unavailable();
        }
        reply.await.unwrap_or_else(|_| unavailable())
    }

    /// Applies `jobs` and answers each, in order. Queued together, they
    /// usually commit as one group (a burst of EventSub messages, one transaction).
    pub async fn submit_all(&self, jobs: Vec<AwardJob>) -> Vec<Reply> {
        let mut waiting = Vec::with_capacity(jobs.len());
        for job in jobs {
            let (answer, reply) = oneshot::channel();
            if !self.queue(job, answer).await {
                waiting.push(None);
                continue;
            }
            waiting.push(Some(reply));
        }
        let mut replies = Vec::with_capacity(waiting.len());
        for reply in waiting {
            replies.push(match reply {
                Some(reply) => reply.await.unwrap_or_else(|_| unavailable()),
                None => unavailable(),
            });
        }
        replies
    }

    /// Jobs waiting for the writer.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Applies everything submitted so far, then stops the writer.
    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.queue.send(Message::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
    }
}

fn unavailable() -> Reply {
    Reply::error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down")
}

impl Writer {
    async fn run(self: Arc<Self>, mut inbox: mpsc::Receiver<Message>, to_show: mpsc::Sender<Shown>) {
        while let Some(first) = inbox.recv().await {
            let mut group = Vec::new();
            let mut awards = 0;
            let mut stop = None;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Job(job, answer, taken) => {
                        drop(taken);
                        awards += job.awards.len();
                        group.push((*job, answer));
                    }
                    Message::Stop(done) => {
                        stop = Some(done);
                        break;
                    }
                }
                if awards < GROUP_AWARDS {
                    next = inbox.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.apply_group(group, &to_show).await;
            }
            if let Some(done) = stop {
                // A show task that is gone has nothing left to show.
                if let Err(mpsc::error::SendError(Shown::Stop(done))) = to_show.send(Shown::Stop(done)).await {
                    let _ = done.send(());
                }
                return;
            }
        }
    }

    /// Commits the group and passes it on to be shown, or answers its failure.
    async fn apply_group(&self, group: Vec<(AwardJob, oneshot::Sender<Reply>)>, to_show: &mpsc::Sender<Shown>) {
        let (jobs, answers): (Vec<_>, Vec<_>) = group.into_iter().unzip();
        let failed = match self.commit(&jobs).await {
            Ok(committed) => {
                self.metrics.awards_applied(committed.events.len());
                // Should the show task be gone, the dropped answers tell each caller the server is unavailable.
                let _ = to_show.send(Shown::Group(committed, answers)).await;
                return;
            }
            Err(err) if err.is_unreachable() => {
                tracing::warn!(error = %err, jobs = jobs.len(), "award group failed, the database is unreachable; nothing applied");
                Reply::error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", DATABASE_UNREACHABLE)
            }
            Err(err) => {
                tracing::error!(error = %err, jobs = jobs.len(), "award group failed; nothing applied");
                Reply::error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on the server")
            }
        };
        for answer in answers {
            let _ = answer.send(failed.clone());
        }
    }

    /// Shows each committed group on the boards, the profiles and the live
    /// events, in commit order, and only then answers its callers, so that a
    /// caller reading after its answer sees its awards.
    async fn show(self: Arc<Self>, mut shown: mpsc::Receiver<Shown>) {
        while let Some(next) = shown.recv().await {
            match next {
                Shown::Group(committed, answers) => {
                    for &player_id in &committed.renamed {
                        self.profiles.forget(player_id);
                    }
                    match committed.announced {
                        Some(id) => self.until_shown(id).await,
                        None => {
                            self.boards.apply(&committed.changes);
                            self.profiles.apply(&committed.changes);
                            for event in committed.events {
                                self.events.publish(event);
                            }
                        }
                    }
                    for (answer, reply) in answers.into_iter().zip(committed.replies) {
                        let _ = answer.send(reply);
                    }
                }
                Shown::Stop(done) => {
                    let _ = done.send(());
                    return;
                }
            }
        }
    }

    /// Waits until the follower has applied announcement `id`, so that a
    /// caller reading the boards after its answer sees its awards.
    async fn until_shown(&self, id: i64) {
        let Some(mut applied) = self.applied.clone() else { return };
        if tokio::time::timeout(SHOW_WITHIN, applied.wait_for(|&last| last >= id)).await.is_err() {
            tracing::warn!(id, "the boards have not caught up with a commit yet; answering anyway");
        }
    }

    /// Reads, decides and writes in one transaction; returns the plan with ledger ids.
    async fn commit(&self, jobs: &[AwardJob]) -> StoreResult<CommittedPlan> {
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        // Read in the transaction: a stream.online applied by any instance counts from its commit on.
        let periods = periods::current(now, Stream::live_since(tx.stream().await?));
        let (applied_messages, renamed) = self.twitch_viewers(tx.as_mut(), jobs, now).await?;
        let snapshot = self.snapshot(tx.as_mut(), jobs, &periods, applied_messages).await?;
        let Plan { replies, applied, writes, changes, new_replies, applied_messages, cooldowns } =
            plan::plan(jobs, snapshot, &self.catalog, &periods, now);

        let (rows, usernames): (Vec<_>, Vec<_>) = applied.into_iter().map(|a| (a.row, a.username)).unzip();
        let ledger_ids = if rows.is_empty() { Vec::new() } else { tx.insert_ledger(&rows).await? };
        for (period, values) in &writes {
            tx.write_values(*period, values).await?;
        }
        if !new_replies.is_empty() {
            tx.save_replies(&new_replies).await?;
        }
        if !applied_messages.is_empty() {
            tx.mark_applied(&applied_messages, now).await?;
        }
        if !cooldowns.is_empty() {
            tx.write_cooldowns(&cooldowns.into_iter().collect::<Vec<_>>()).await?;
        }
        let events: Vec<AwardEvent> = rows
            .into_iter()
            .zip(usernames)
            .zip(ledger_ids)
            .map(|((row, username), id)| AwardEvent {
                id,
                player_id: row.player_id,
                username,
                stat: row.stat,
                amount: row.amount,
                value: row.value_after,
            })
            .collect();
        let announced = match &self.applied {
            Some(_) if !changes.is_empty() => {
                let announcement = Announcement::new(changes.clone(), &events);
                let body = serde_json::to_string(&announcement).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                tx.announce(&body, now).await?
            }
            _ => None,
        };
        tx.commit().await?;
        Ok(CommittedPlan { replies, changes, events, announced, renamed })
    }

    /// Which of the group's EventSub messages were applied before; the
    /// viewers of the others become players (or get their login updated).
    async fn twitch_viewers(
        &self,
        tx: &mut dyn WriteTx,
        jobs: &[AwardJob],
        now: i64,
    ) -> StoreResult<(HashSet<String>, Vec<i64>)> {
        let message_ids: Vec<String> =
            jobs.iter().filter_map(|job| job.twitch.as_ref().map(|t| t.message_id.clone())).collect();
        if message_ids.is_empty() {
            return Ok((HashSet::new(), Vec::new()));
        }
        let applied = tx.applied_messages(&message_ids).await?;
        let fresh: Vec<viewers::Viewer> = jobs
            .iter()
            .filter_map(|job| job.twitch.as_ref())
            .filter(|twitch| !applied.contains(&twitch.message_id))
            .flat_map(|twitch| twitch.viewers.iter().cloned())
            .collect();
        let renamed = if fresh.is_empty() { Vec::new() } else { viewers::ensure(tx, &fresh, now).await? };
        Ok((applied, renamed))
    }

    /// Everything the jobs' outcome depends on, read inside the transaction.
    async fn snapshot(
        &self,
        tx: &mut dyn WriteTx,
        jobs: &[AwardJob],
        periods: &[PeriodKey],
        applied_messages: HashSet<String>,
    ) -> StoreResult<Snapshot> {
        let keys: Vec<_> = jobs.iter().filter_map(|job| job.claim.as_ref().map(|c| c.key.clone())).collect();
        let replies = if keys.is_empty() { Vec::new() } else { tx.stored_replies(&keys).await? };

        let mut ids = Vec::new();
        let mut twitch_ids = Vec::new();
        for job in jobs {
            if let Answer::PlayerStats(id) = job.answer {
                ids.push(id);
            }
            for award in &job.awards {
                match &award.player {
                    PlayerRef::Id(id) => ids.push(*id),
                    PlayerRef::Twitch(twitch_id) => twitch_ids.push(twitch_id.clone()),
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        twitch_ids.sort_unstable();
        twitch_ids.dedup();
        let mut usernames = tx.players_by_ids(&ids).await?;
        let mut twitch = HashMap::new();
        if !twitch_ids.is_empty() {
            for (twitch_id, id, username) in tx.players_by_twitch_ids(&twitch_ids).await? {
                twitch.insert(twitch_id, id);
                usernames.insert(id, username);
            }
        }

        let (all_time_pairs, period_pairs) = plan::pairs_to_read(jobs, &twitch, &self.catalog);
        let mut values = FastMap::default();
        for &period in periods {
            let pairs = if period.period == Period::All { &all_time_pairs } else { &period_pairs };
            for (player_id, stat, value) in tx.stat_values(period, pairs).await? {
                if let Some(index) = self.catalog.index_of(&stat) {
                    values.insert((period, player_id, index), value);
                }
            }
        }
        let mut cooldown_keys: Vec<_> = jobs
            .iter()
            .filter_map(|job| job.twitch.as_ref())
            .flat_map(|twitch| twitch.cooldowns.iter().flatten().map(|c| c.key.clone()))
            .collect();
        cooldown_keys.sort_unstable();
        cooldown_keys.dedup();
        let cooldowns = if cooldown_keys.is_empty() { HashMap::new() } else { tx.cooldowns(&cooldown_keys).await? };
        let replies = replies.into_iter().map(|r| (r.key.clone(), r)).collect();
        Ok(Snapshot { replies, usernames, twitch, values, applied_messages, cooldowns })
    }
}

struct CommittedPlan {
    replies: Vec<Reply>,
    changes: Vec<crate::leaderboards::Change>,
    events: Vec<AwardEvent>,
    /// The announcement's id, where other instances follow this one.
    announced: Option<i64>,
    /// Viewers whose Twitch login (and maybe username) changed.
    renamed: Vec<i64>,
}
