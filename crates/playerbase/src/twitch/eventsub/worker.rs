//! Applies stored notifications after they were answered: in the order
//! received, as award jobs through the award writer (each job marks its
//! message applied in the writer's transaction), with stream changes in
//! between. Woken as messages are stored; it also looks every few seconds,
//! for messages another instance stored, or this one stored before a crash.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

use super::translate::{self, Context, Question, StreamChange, Translation};
use crate::awards::{AwardJob, Awards};
use crate::config::ChatConfig;
use crate::state::Clock;
use crate::store::twitch::StreamStart;
use crate::store::{Store, StoreResult};
use crate::twitch::chat::Answerer;
use crate::twitch::rules::Rules;

/// How often the worker looks for messages it was not woken for.
const POLL: Duration = Duration::from_secs(2);
/// How long the worker waits after a wake for more messages to arrive;
/// they are acknowledged already, so this delays only their awards.
const LINGER: Duration = Duration::from_millis(100);
/// Messages read and applied per round.
const BATCH: u32 = 10_000;

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub awards: Awards,
    pub rules: Rules,
    pub broadcaster_user_id: String,
    pub chat: ChatConfig,
    pub answerer: Option<Arc<Answerer>>,
    pub clock: Clock,
}

enum Control {
    /// Apply everything stored so far, then say so.
    Settle(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct WorkerHandle {
    wake: Arc<Notify>,
    control: mpsc::Sender<Control>,
}

impl WorkerHandle {
    /// Applies every message stored so far (tests, and shutdown).
    pub async fn settle(&self) {
        let (done, settled) = oneshot::channel();
        if self.control.send(Control::Settle(done)).await.is_ok() {
            let _ = settled.await;
        }
    }

    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.control.send(Control::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

impl Worker {
    /// Starts the worker; `wake` is notified when messages are stored.
    pub fn start(self, wake: Arc<Notify>) -> WorkerHandle {
        let (control, inbox) = mpsc::channel(16);
        tokio::spawn(self.run(wake.clone(), inbox));
        WorkerHandle { wake, control }
    }

    async fn run(self, wake: Arc<Notify>, mut control: mpsc::Receiver<Control>) {
        loop {
            let mut answer = None;
            tokio::select! {
                () = wake.notified() => {
                    // Let a burst gather: fewer, larger award groups cost
                    // the database (and other requests) far less than many small ones.
                    tokio::time::sleep(LINGER).await;
                }
                () = tokio::time::sleep(POLL) => {}
                message = control.recv() => match message {
                    Some(message) => answer = Some(message),
                    None => return,
                },
            }
            self.apply_stored().await;
            match answer {
                Some(Control::Settle(done)) => {
                    let _ = done.send(());
                }
                Some(Control::Stop(done)) => {
                    let _ = done.send(());
                    return;
                }
                None => {}
            }
        }
    }

    /// Applies stored messages until none is left or one round fails
    /// (what failed stays stored and is tried again at the next round).
    async fn apply_stored(&self) {
        loop {
            let pending = match self.store.pending_eventsub_messages(BATCH).await {
                Ok(pending) => pending,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read stored EventSub messages");
                    return;
                }
            };
            let full = pending.len() == BATCH as usize;
            if pending.is_empty() || !self.apply(pending).await || !full {
                return;
            }
        }
    }

    /// Applies messages in order; false if something failed.
    async fn apply(&self, pending: Vec<crate::store::twitch::PendingMessage>) -> bool {
        let cx = Context { rules: &self.rules, broadcaster_user_id: &self.broadcaster_user_id, chat: &self.chat };
        let mut jobs = Vec::new();
        let mut questions = Vec::new();
        for message in &pending {
            match translate::translate(message, &cx) {
                Translation::Job(job) => jobs.push(job),
                Translation::Command(job, question) => {
                    questions.push((jobs.len(), question));
                    jobs.push(job);
                }
                Translation::Stream(change) => {
                    // Awards before the change count in the old periods, after it in the new.
                    if !self.submit(std::mem::take(&mut jobs), std::mem::take(&mut questions)).await {
                        return false;
                    }
                    if let Err(err) = self.change_stream(&message.message_id, &change).await {
                        tracing::error!(error = %err, "could not apply a stream change; it will be tried again");
                        return false;
                    }
                }
            }
        }
        self.submit(jobs, questions).await
    }

    /// Applies the jobs (as one group, usually), then answers the commands among them.
    async fn submit(&self, jobs: Vec<AwardJob>, questions: Vec<(usize, Question)>) -> bool {
        if jobs.is_empty() {
            return true;
        }
        let count = jobs.len();
        let replies = self.awards.submit_all(jobs).await;
        let failed = replies.iter().filter(|reply| reply.status >= 500).count();
        if failed > 0 {
            tracing::error!(failed, of = count, "EventSub messages could not be applied; they will be tried again");
        }
        let Some(answerer) = &self.answerer else { return failed == 0 };
        for (index, question) in questions {
            let reply = &replies[index];
            let first_time = reply.status < 500 && reply.body.get("duplicate").is_none();
            if first_time && question.command != crate::twitch::chat::commands::Command::Join {
                let answerer = answerer.clone();
                tokio::spawn(async move { answerer.answer(&question).await });
            }
        }
        failed == 0
    }

    /// Records a stream going online or offline and marks its message
    /// applied, in one transaction of the award writers (so it orders with their groups).
    async fn change_stream(&self, message_id: &str, change: &StreamChange) -> StoreResult<()> {
        let mut tx = self.store.begin_write().await?;
        let id = [message_id.to_owned()];
        if tx.applied_messages(&id).await?.is_empty() {
            match change {
                StreamChange::Online { stream_id, started_at } => {
                    match tx.start_stream(stream_id, *started_at).await? {
                        StreamStart::Live => {
                            tracing::info!(started_at, "the stream went online: a new stream period starts")
                        }
                        StreamStart::EndedAlready { at } => tracing::info!(
                            started_at,
                            ended_at = at,
                            "the stream's online came after its offline: a new stream period starts, already over"
                        ),
                        StreamStart::Late => tracing::info!(
                            started_at,
                            "a late stream.online (of a stream seen before, or older than one known) changed nothing"
                        ),
                    }
                }
                StreamChange::Offline { at } => match tx.stream_went_offline(*at).await? {
                    true => tracing::info!(at, "the stream went offline"),
                    false => tracing::info!(
                        at,
                        "a stream.offline with no stream live: kept for its online, if that comes late"
                    ),
                },
            }
            tx.mark_applied(&id, self.clock.now()).await?;
        }
        tx.commit().await
    }
}
