//! Live award events for overlays and game clients. Publishing never
//! waits: a reader that falls behind loses the oldest events and is told.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

/// Events a slow reader may fall behind by before it starts missing some.
/// The award writer publishes a whole commit at once: its group of jobs
/// (up to 50,000 awards, plus the job that crossed that) or another
/// instance's announcement of one. A reader that keeps up must never lag
/// for that (writer.rs asserts the bound). The buffer keeps the last this
/// many events alive: about 10 MiB after a burst of that size.
pub const BUFFER: usize = 65_536;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AwardEvent {
    /// The ledger row's id; also the SSE `id:`.
    #[serde(skip)]
    pub id: i64,
    pub player_id: i64,
    pub username: String,
    pub stat: String,
    pub amount: i64,
    /// The stat's value after the award.
    pub value: i64,
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Arc<AwardEvent>>,
    /// True once the server stops: readers' streams end, so that a
    /// graceful shutdown does not wait for overlays that never hang up.
    closed: Arc<watch::Sender<bool>>,
}

impl Default for Events {
    fn default() -> Self {
        Self { sender: broadcast::channel(BUFFER).0, closed: Arc::new(watch::channel(false).0) }
    }
}

impl Events {
    pub fn publish(&self, event: AwardEvent) {
        // No receivers is fine: nobody is watching.
        let _ = self.sender.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AwardEvent>> {
        self.sender.subscribe()
    }

    /// Ends every reader's stream, and those of readers still to come.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves once [`Events::close`] has been called.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut closed = self.closed.subscribe();
        async move {
            // An error means the sender is gone, which only happens once every clone is: closed too.
            let _ = closed.wait_for(|closed| *closed).await;
        }
    }
}
