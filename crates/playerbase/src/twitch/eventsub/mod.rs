//! The EventSub webhook receiver's machinery: signature and freshness
//! checks ([`verify`]), Twitch's JSON ([`message`]), storing before
//! answering ([`inbox`]), and applying afterwards ([`worker`], [`translate`]).
//! The route itself is `http/twitch.rs`.

pub mod inbox;
pub mod message;
pub mod translate;
pub mod verify;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::store::twitch::NewEventSubMessage;
use inbox::{Inbox, Stored};
use worker::{Worker, WorkerHandle};

/// What the route and the server hold of the receiver. Cheap to clone.
#[derive(Clone)]
pub struct EventSub {
    inbox: Inbox,
    worker: WorkerHandle,
}

impl EventSub {
    pub fn start(worker: Worker) -> Self {
        let stored = Arc::new(Notify::new());
        let inbox = Inbox::start(worker.store.clone(), stored.clone());
        Self { inbox, worker: worker.start(stored) }
    }

    /// Stores a notification durably; true if it had not been received before.
    pub async fn receive(&self, message: NewEventSubMessage) -> Stored {
        self.inbox.store(message).await
    }

    /// Applies every notification stored so far.
    pub async fn settle(&self) {
        self.worker.settle().await;
    }

    /// Applies what is stored, then stops applying.
    pub async fn stop(&self) {
        self.worker.stop().await;
    }
}
