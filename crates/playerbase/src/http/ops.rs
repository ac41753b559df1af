//! Operations: liveness, readiness, metrics.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::Json;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process is up and its database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Health),
    (status = 503, body = ErrorBody, description = "the database does not answer"),
))]
async fn readyz(state: axum::extract::State<AppState>) -> AppResult<(StatusCode, Json<Health>)> {
    match tokio::time::timeout(READY_WITHIN, state.store.ping()).await {
        Ok(Ok(())) => Ok((StatusCode::OK, Json(Health { status: "ok" }))),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(AppError::Unavailable("the database does not answer".into()))
        }
        Err(_) => {
            tracing::warn!("readiness check failed: the database did not answer within {READY_WITHIN:?}");
            Err(AppError::Unavailable("the database does not answer".into()))
        }
    }
}

/// Under the usual health-check timeouts of load balancers (a few seconds),
/// so that they see the 503 rather than a timeout of their own.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Prometheus metrics in the OpenMetrics text format: requests and
/// latencies by route, awards applied, the award queue, EventSub messages.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses(
    (status = 200, content_type = "application/openmetrics-text", body = String),
))]
async fn metrics(state: axum::extract::State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render(state.awards.queued());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
}
