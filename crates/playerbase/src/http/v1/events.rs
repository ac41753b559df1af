//! Server-sent events of awards, for overlays and game clients.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::awards::AwardEvent;
use crate::error::{AppResult, ErrorBody};
use crate::state::AppState;
use crate::store::awards::LedgerRow;

/// Missed events a reconnecting client is sent from the ledger at most.
const CATCH_UP: u32 = 1000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// A live stream of `award` events. Reconnect with `Last-Event-ID` to get
/// what was missed (up to 1,000). A reader too slow to keep up is sent
/// `event: lagged` with `{"missed": N}` and skipped ahead.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<i64>, Header, description = "the last event id seen")),
    responses(
        (status = 200, content_type = "text/event-stream", body = AwardEvent, description = "`event: award`, `id:` the ledger row's id, `data:` the award"),
        (status = 500, body = ErrorBody),
    ))]
async fn events(
    state: State<AppState>,
    headers: HeaderMap,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribe before reading the ledger, so nothing falls between the two.
    let live = state.events.subscribe();
    let last_seen =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    let backlog = match last_seen {
        Some(after) => state.store.ledger_after(after, CATCH_UP).await?,
        None => Vec::new(),
    };
    let last_sent = backlog.last().map(|row| row.id).or(last_seen).unwrap_or(0);
    let backlog = backlog.into_iter().filter_map(from_ledger).map(|e| award_event(&e)).collect::<Vec<_>>();
    let stream = futures_util::stream::iter(backlog.into_iter().map(Ok))
        .chain(live_events(live, last_sent))
        .take_until(state.events.closed());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn from_ledger(row: LedgerRow) -> Option<AwardEvent> {
    Some(AwardEvent {
        id: row.id,
        player_id: row.player_id?,
        username: row.username?,
        stat: row.stat,
        amount: row.amount,
        value: row.value_after,
    })
}

fn award_event(event: &AwardEvent) -> Event {
    Event::default().event("award").id(event.id.to_string()).data(serde_json::to_string(event).unwrap_or_default())
}

fn live_events(
    receiver: broadcast::Receiver<Arc<AwardEvent>>,
    last_sent: i64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((receiver, last_sent), |(mut receiver, last_sent)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.id <= last_sent => continue,
                Ok(event) => return Some((Ok(award_event(&event)), (receiver, event.id))),
                Err(RecvError::Lagged(missed)) => {
                    let lagged = Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"));
                    return Some((Ok(lagged), (receiver, last_sent)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
