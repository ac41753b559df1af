//! Layers that protect every route: a time limit per request, and the
//! cross-origin policy for browser games (Unity WebGL).

use std::time::Duration;

use axum::BoxError;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::AppError;

/// The answer of a request that hit `limits.request_timeout_seconds`. A live
/// event stream answers at once and is not cut: only the wait for the answer counts.
pub async fn timed_out(err: BoxError) -> AppError {
    if err.is::<tower::timeout::error::Elapsed>() {
        AppError::Unavailable("the server took too long to answer; retry (with the same Idempotency-Key)".into())
    } else {
        AppError::Internal(anyhow::anyhow!(err))
    }
}

/// `cors_origins` as a CORS policy; none when the list is empty.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([header::RETRY_AFTER, header::LOCATION, HeaderName::from_static("x-request-id")])
            .max_age(Duration::from_secs(3600)),
    )
}
