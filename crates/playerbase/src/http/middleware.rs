//! The layers around every route, shared with the benchmark's ceiling so
//! that it measures exactly these: a request id, a span naming the route
//! and that id, the access-log line, trailing-slash normalisation.

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use tower::ServiceBuilder;
use tower_http::normalize_path::NormalizePath;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

/// The whole application: routes behind trailing-slash normalisation, so
/// `/api/users` and `/api/users/` are one route.
pub type App = NormalizePath<Router>;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` (state already given) in playerbase's middleware.
pub fn with_middleware(router: Router) -> App {
    let router = router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, RandomRequestId))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    // The access log: one INFO line per answered request, with
                    // status and latency, inside the span (route, request id).
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    );
    NormalizePath::trim_trailing_slash(router)
}

/// Names the matched route, not the raw path, so ids and names in paths stay out of the log.
fn request_span(request: &Request) -> Span {
    let route = request.extensions().get::<MatchedPath>().map_or("", |path| path.as_str());
    let request_id = request.headers().get(REQUEST_ID).and_then(|id| id.to_str().ok()).unwrap_or("");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

/// A random (version 4) UUID per request from the thread's own generator:
/// tower-http's `MakeRequestUuid` asks the operating system for every one.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        HeaderValue::from_str(uuid.hyphenated().encode_lower(&mut text)).ok().map(RequestId::new)
    }
}
