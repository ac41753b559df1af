//! Received notifications are stored before they are answered. Like the
//! award writer, one task takes every message waiting and stores them in
//! one transaction (group commit), so a raid's burst of thousands of chat
//! messages costs a few commits, and each is answered within milliseconds.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::store::Store;
use crate::store::twitch::NewEventSubMessage;

/// Messages queued before receivers wait to hand theirs over.
const QUEUE: usize = 8192;
/// Messages one transaction stores at most.
const GROUP: usize = 2000;

/// Whether a stored message was new; `Err` when it could not be stored
/// (then Twitch is answered 500 and sends it again).
pub type Stored = Result<bool, ()>;

type Delivery = (NewEventSubMessage, oneshot::Sender<Stored>);

#[derive(Clone)]
pub struct Inbox {
    queue: mpsc::Sender<Delivery>,
}

impl Inbox {
    /// Starts the storing task; `stored` is told whenever new messages are committed.
    pub fn start(store: Arc<dyn Store>, stored: Arc<Notify>) -> Self {
        let (queue, inbox) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, stored, inbox));
        Self { queue }
    }

    /// Stores `message` durably; true if its id had not been seen before.
    pub async fn store(&self, message: NewEventSubMessage) -> Stored {
        let (answer, stored) = oneshot::channel();
        self.queue.send((message, answer)).await.map_err(|_| ())?;
        stored.await.map_err(|_| ())?
    }
}

async fn run(store: Arc<dyn Store>, stored: Arc<Notify>, mut inbox: mpsc::Receiver<Delivery>) {
    while let Some(first) = inbox.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match inbox.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let messages: Vec<NewEventSubMessage> = group.iter().map(|(m, _)| m.clone()).collect();
        match store.save_eventsub_messages(&messages).await {
            Ok(new) => {
                // The same id twice in one group: the first one is the new one.
                let mut answered = HashSet::new();
                for (message, answer) in group {
                    let is_new = new.contains(&message.message_id) && answered.insert(message.message_id);
                    let _ = answer.send(Ok(is_new));
                }
                if !new.is_empty() {
                    stored.notify_one();
                }
            }
            Err(err) => {
                tracing::error!(error = %err, messages = group.len(), "could not store EventSub messages");
                for (_, answer) in group {
                    let _ = answer.send(Err(()));
                }
            }
        }
    }
}
