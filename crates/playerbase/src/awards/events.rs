//! Live award events for overlays and game clients. Publishing never
//! waits: a reader that falls behind loses the oldest events and is told.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// Events a slow reader may fall behind by before it starts missing some.
const BUFFER: usize = 8192;

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
}

impl Default for Events {
    fn default() -> Self {
        Self { sender: broadcast::channel(BUFFER).0 }
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
}
