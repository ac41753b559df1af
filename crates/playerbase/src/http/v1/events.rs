//! Server-sent events of awards, for overlays and game clients.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::awards::AwardEvent;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::limits::{ClientIp, EVENT_STREAMS_PER_IP};
use crate::state::AppState;
use crate::store::awards::LedgerRow;

/// Missed events a reconnecting client is sent from the ledger at most.
const CATCH_UP: u32 = 1000;
/// Missed events beyond those counted at most, for `lagged`'s `missed`.
const MISSED_COUNTED: i64 = 100_000;
/// A quiet stream's comment line: clients (the Unity one waits 45 s) tell a
/// quiet stream from a dead connection by it.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// A live stream of `award` events. Reconnect with `Last-Event-ID` to get
/// what was missed (the newest 1,000; `event: lagged` with `{"missed": N}`
/// first if there were more). A stream opened without it starts with a
/// message of only `id:`, the newest award's, so that a reconnect before the
/// first award still gets what was missed. A reader too slow to keep up is
/// sent `event: lagged` with `{"missed": N}` and skipped ahead. With nothing
/// to send, a comment line (`:`) every 15 seconds tells a client that the
/// stream is quiet, not dead.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<i64>, Header, description = "the last event id seen")),
    responses(
        (status = 200, content_type = "text/event-stream", body = AwardEvent, description = "`event: award`, `id:` the ledger row's id, `data:` the award"),
        (status = 429, body = ErrorBody, description = "32 streams are open from this address already; Retry-After"),
        (status = 500, body = ErrorBody),
    ))]
async fn events(
    state: State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let place = state.limits.event_stream(ip.0).ok_or_else(|| {
        AppError::TooManyOpen(format!(
            "{EVENT_STREAMS_PER_IP} live event streams are open from this address already; close one first"
        ))
    })?;
    // Subscribe before reading the ledger, so nothing falls between the two.
    let live = state.events.subscribe();
    let last_seen =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    let (backlog, last_sent) = match last_seen {
        Some(after) => catch_up(&state, after).await?,
        // An id and no event: the client's last event id from the start, so
        // that one losing the stream before the first award reconnects from here.
        None => (vec![Event::default().id(state.store.last_ledger_id().await?.to_string())], 0),
    };
    let stream = futures_util::stream::iter(backlog.into_iter().map(Ok))
        .chain(live_events(live, last_sent))
        .take_until(state.events.closed())
        // The address's place goes back when the stream ends or its client hangs up.
        .map(move |event| {
            let _ = &place;
            event
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE_EVERY)))
}

/// What a client that last saw `after` missed, and the last id that covers.
/// Past [`CATCH_UP`] events it is told how many it missed before the newest
/// ones. An id beyond the ledger's newest (a client of a database since
/// restored or replaced) would mute the stream until the ledger caught up
/// with it: the stream starts from the newest instead.
async fn catch_up(state: &AppState, after: i64) -> AppResult<(Vec<Event>, i64)> {
    // Read before the tail: a row committed in between is then above it, and sent live.
    let newest = state.store.last_ledger_id().await?;
    let rows = state.store.ledger_tail(after, CATCH_UP).await?;
    let Some(last) = rows.last().map(|row| row.id) else { return Ok((Vec::new(), after.min(newest))) };
    let mut events = Vec::with_capacity(rows.len() + 1);
    if rows.len() == CATCH_UP as usize {
        // Counted, not subtracted: ids have gaps (a rolled-back PostgreSQL transaction's).
        // Counted up to a bound: anyone may reconnect with `Last-Event-ID: 0`.
        let skipped = state.store.ledger_rows_between(after, rows[0].id, MISSED_COUNTED).await?;
        if skipped > 0 {
            events.push(lagged(skipped as u64));
        }
    }
    events.extend(rows.into_iter().filter_map(from_ledger).map(|event| award_event(&event)));
    Ok((events, last))
}

fn lagged(missed: u64) -> Event {
    Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"))
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
                Err(RecvError::Lagged(missed)) => return Some((Ok(lagged(missed)), (receiver, last_sent))),
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
