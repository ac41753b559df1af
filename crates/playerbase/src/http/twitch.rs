//! `POST /api/v1/twitch/eventsub`: Twitch's EventSub webhook deliveries.
//! Checked (signature over the raw body, replay window), then: a challenge
//! is answered, a revocation recorded, a notification stored and answered
//! at once — it is applied afterwards by the EventSub worker.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::RawBody;
use crate::error::{AppError, AppResult, ErrorBody, ErrorDetail};
use crate::state::AppState;
use crate::store::twitch::{NewEventSubMessage, Revocation};
use crate::twitch::eventsub::message::{Envelope, KNOWN_TYPES};
use crate::twitch::eventsub::verify::{self, Freshness};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(eventsub))
}

const MESSAGE_ID: &str = "twitch-eventsub-message-id";
const MESSAGE_TYPE: &str = "twitch-eventsub-message-type";
const MESSAGE_SIGNATURE: &str = "twitch-eventsub-message-signature";
const MESSAGE_TIMESTAMP: &str = "twitch-eventsub-message-timestamp";
const SUBSCRIPTION_TYPE: &str = "twitch-eventsub-subscription-type";

/// Receives EventSub deliveries from Twitch.
///
/// Every delivery must carry Twitch's headers and a valid signature
/// (`Twitch-Eventsub-Message-Signature`: `sha256=` HMAC-SHA256 of message
/// id, timestamp and raw body with `twitch.eventsub_secret`) and be at most
/// 10 minutes old (or ahead). Answers: the raw `challenge` as `text/plain`
/// for `webhook_callback_verification`; 204 for a recorded `revocation`;
/// 204 for a `notification` once stored — it is applied afterwards, once
/// (a message id seen before is acknowledged and not applied again).
/// Subscription types playerbase does not use are acknowledged and dropped.
#[utoipa::path(post, path = "/api/v1/twitch/eventsub", tag = "twitch",
    request_body(content = String, content_type = "application/json", description = "Twitch's JSON, signed"),
    params(
        ("Twitch-Eventsub-Message-Id" = String, Header),
        ("Twitch-Eventsub-Message-Type" = String, Header, description = "notification, webhook_callback_verification or revocation"),
        ("Twitch-Eventsub-Message-Timestamp" = String, Header, description = "RFC 3339 with 0-9 fractional digits"),
        ("Twitch-Eventsub-Message-Signature" = String, Header, description = "sha256=HEX"),
    ),
    responses(
        (status = 200, content_type = "text/plain", body = String, description = "the challenge of a webhook_callback_verification"),
        (status = 204, description = "a notification stored (or seen before), a revocation recorded, or a type playerbase does not use"),
        (status = 400, body = ErrorBody, description = "missing Twitch headers (missing_eventsub_header), an unreadable timestamp (invalid_timestamp) or body (malformed_json)"),
        (status = 403, body = ErrorBody, description = "a wrong or missing signature (invalid_signature), or a message outside the 10-minute window (stale_message)"),
        (status = 503, body = ErrorBody, description = "twitch.eventsub_secret is not set (eventsub_not_configured)"),
    ))]
async fn eventsub(state: State<AppState>, headers: HeaderMap, RawBody(body): RawBody) -> AppResult<Response> {
    // For the metrics only, and not signed: the signed body says the type once
    // it is trusted. A type playerbase does not know counts as "unknown", so
    // forged headers cannot add metric series without end.
    let claimed_type = headers
        .get(SUBSCRIPTION_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|claimed| KNOWN_TYPES.into_iter().find(|known| *known == claimed))
        .unwrap_or("unknown");
    let secret = state.config.twitch.eventsub_secret.expose();
    if secret.is_empty() {
        state.metrics.eventsub_message(claimed_type, "not_configured");
        return Ok(not_configured());
    }
    let header = |name: &'static str| {
        headers.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            AppError::bad_request("missing_eventsub_header", format!("the {name} header is missing or not text"))
        })
    };
    let signature = headers.get(MESSAGE_SIGNATURE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (message_id, timestamp, message_type) =
        (header(MESSAGE_ID)?, header(MESSAGE_TIMESTAMP)?, header(MESSAGE_TYPE)?);
    if !verify::signature_matches(secret.as_bytes(), message_id, timestamp, &body, signature) {
        state.metrics.eventsub_message(claimed_type, "invalid_signature");
        tracing::warn!(message_id, "an EventSub delivery with a wrong signature was refused");
        return Err(AppError::forbidden("invalid_signature", "the Twitch-Eventsub-Message-Signature does not match"));
    }
    let sent_at_ms = verify::parse_timestamp_ms(timestamp).ok_or_else(|| {
        AppError::bad_request("invalid_timestamp", "Twitch-Eventsub-Message-Timestamp is not an RFC 3339 time")
    })?;
    match verify::freshness(sent_at_ms.div_euclid(1000), state.clock.now()) {
        Freshness::Fresh => {}
        Freshness::Stale | Freshness::Future => {
            state.metrics.eventsub_message(claimed_type, "stale");
            tracing::warn!(message_id, timestamp, "an EventSub delivery outside the 10-minute window was refused");
            return Err(AppError::forbidden("stale_message", "the message is more than 10 minutes old or ahead"));
        }
    }
    let envelope: Envelope = serde_json::from_slice(&body)
        .map_err(|err| AppError::bad_request("malformed_json", format!("the body is not EventSub JSON: {err}")))?;

    match message_type {
        "webhook_callback_verification" => {
            let challenge = envelope.challenge.unwrap_or_default();
            state.metrics.eventsub_message(&envelope.subscription.kind, "challenge");
            tracing::info!(subscription_type = %envelope.subscription.kind, "EventSub subscription verified");
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response())
        }
        "revocation" => {
            let subscription = envelope.subscription;
            state.metrics.eventsub_message(&subscription.kind, "revocation");
            tracing::warn!(
                subscription_id = %subscription.id,
                subscription_type = %subscription.kind,
                status = %subscription.status,
                "Twitch revoked an EventSub subscription"
            );
            state
                .store
                .record_revocation(&Revocation {
                    subscription_id: subscription.id,
                    subscription_type: subscription.kind,
                    status: subscription.status,
                    at: state.clock.now(),
                })
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        "notification" => {
            let kind = envelope.subscription.kind;
            if !KNOWN_TYPES.contains(&kind.as_str()) {
                state.metrics.eventsub_message(&kind, "dropped");
                tracing::debug!(subscription_type = %kind, "an EventSub notification of an unused type was dropped");
                return Ok(StatusCode::NO_CONTENT.into_response());
            }
            let message = NewEventSubMessage {
                message_id: message_id.to_owned(),
                subscription_type: kind.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
                sent_at_ms,
                received_at: state.clock.now(),
            };
            match state.eventsub.receive(message).await {
                Ok(true) => state.metrics.eventsub_message(&kind, "stored"),
                Ok(false) => {
                    state.metrics.eventsub_message(&kind, "duplicate");
                    tracing::debug!(message_id, "an EventSub message seen before was acknowledged again");
                }
                Err(()) => {
                    state.metrics.eventsub_message(&kind, "not_stored");
                    return Err(AppError::Internal(anyhow::anyhow!("could not store an EventSub message")));
                }
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        other => {
            state.metrics.eventsub_message(claimed_type, "unknown_message_type");
            tracing::debug!(message_type = other, "an EventSub delivery of an unknown message type was acknowledged");
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

fn not_configured() -> Response {
    let error = ErrorDetail {
        code: "eventsub_not_configured".into(),
        message: "EventSub is not configured on this server: set twitch.eventsub_secret".into(),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(ErrorBody { error })).into_response()
}
