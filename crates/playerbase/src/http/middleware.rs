//! The layers around every route, shared with the benchmark's ceiling so
//! that it measures exactly these: a request id, a span naming the route
//! and that id, the access-log line and the request's metrics,
//! trailing-slash normalisation.
//!
//! The first four are one hand-written layer rather than tower-http's
//! request-id and trace layers and an `axum::middleware::from_fn`: those
//! cost 6 µs of CPU per request together (the access line formatted as a
//! tracing event, an extension map and a boxed future per request, label
//! strings allocated for the metrics) against a profile read's 20 µs.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use axum::routing::Route;
use tower::layer::util::Stack;
use tower::{Layer, Service};
use tower_http::normalize_path::NormalizePath;
use tracing::Span;

use crate::logging::access::AccessLine;
use crate::metrics::Metrics;

/// The whole application: routes behind trailing-slash normalisation, so
/// `/api/users` and `/api/users/` are one route.
pub type App = NormalizePath<Router>;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` (state already given) in playerbase's middleware, around
/// `inner`: the server's own guards (the benchmark's ceiling passes none).
/// Each answer is counted and timed in `metrics`. One `Router::layer` for
/// all of them: each call boxes every route once more, and each request then
/// passes through one more boxed service, future and copy of itself.
pub fn with_middleware<L>(router: Router, metrics: Arc<Metrics>, inner: L) -> App
where
    L: Layer<Route> + Clone + Send + Sync + 'static,
    L::Service: Service<Request, Response = Response> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    NormalizePath::trim_trailing_slash(router.layer(Stack::new(inner, AccessLayer { metrics })))
}

#[derive(Clone)]
struct AccessLayer {
    metrics: Arc<Metrics>,
}

impl<S> Layer<S> for AccessLayer {
    type Service = Access<S>;

    fn layer(&self, inner: S) -> Access<S> {
        Access { inner, metrics: self.metrics.clone() }
    }
}

#[derive(Clone)]
struct Access<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<axum::http::Request<B>> for Access<S>
where
    S: Service<axum::http::Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Answered<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .filter(|id| is_usable_request_id(id))
            .cloned()
            .unwrap_or_else(new_request_id);
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = request.method().clone();
        let span = request_span(
            method.as_str(),
            route.as_ref().map_or("", MatchedPath::as_str),
            request_id.to_str().unwrap_or_default(),
        );
        // Not entered for `call`: a route only makes its future there, the
        // handler runs (and logs) when it is polled, inside the span.
        Answered {
            inner: self.inner.call(request),
            span,
            request: Some(Asked { started, method, route, request_id }),
            metrics: self.metrics.clone(),
        }
    }
}

/// What the answer's log line and metrics need from the request.
struct Asked {
    started: Instant,
    method: Method,
    route: Option<MatchedPath>,
    request_id: HeaderValue,
}

pin_project_lite::pin_project! {
    /// The route's answer, with the request id added, logged and counted.
    struct Answered<F> {
        #[pin]
        inner: F,
        span: Span,
        request: Option<Asked>,
        metrics: Arc<Metrics>,
    }
}

impl<F, E> Future for Answered<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match ready!(this.span.in_scope(|| this.inner.poll(cx))) {
            Ok(response) => response,
            Err(error) => return Poll::Ready(Err(error)),
        };
        let asked = this.request.take().expect("a future is not polled after it is ready");
        let latency = asked.started.elapsed();
        let status = response.status().as_u16();
        let route = asked.route.as_ref().map(MatchedPath::as_str);
        let line = AccessLine {
            method: asked.method.as_str(),
            route: route.unwrap_or_default(),
            request_id: asked.request_id.to_str().unwrap_or_default(),
            status,
            latency,
        };
        line.write();
        this.metrics.request(&asked.method, route, status, latency);
        response.headers_mut().insert(REQUEST_ID, asked.request_id);
        Poll::Ready(Ok(response))
    }
}

/// The span a request is answered in. `logging::request_span` writes its
/// fields for the log as `%`-displayed ones: `request_id=…`, as the access
/// line has it, without quotes.
pub(crate) fn request_span(method: &str, route: &str, request_id: &str) -> Span {
    tracing::info_span!("request", method, route, request_id)
}

/// A caller's own id is kept if it is short printable ASCII without spaces,
/// so it can neither flood nor break the log line it is written into.
fn is_usable_request_id(id: &HeaderValue) -> bool {
    (1..=128).contains(&id.len()) && id.as_bytes().iter().all(u8::is_ascii_graphic)
}

/// A random (version 4) UUID from the thread's own generator.
fn new_request_id() -> HeaderValue {
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(uuid.hyphenated().encode_lower(&mut text)).expect("a UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn answer(metrics: &Arc<Metrics>, path: &str, request_id: Option<&str>) -> Response {
        let router = Router::new().route("/players/{id}", get(|| async { "a player" }));
        let app = with_middleware(router, metrics.clone(), tower::layer::util::Identity::new());
        let mut request = axum::http::Request::get(path);
        if let Some(id) = request_id {
            request = request.header(REQUEST_ID, id);
        }
        app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    fn request_id_of(response: &Response) -> &str {
        response.headers()[REQUEST_ID].to_str().unwrap()
    }

    #[tokio::test]
    async fn a_callers_request_id_comes_back_and_a_missing_or_unusable_one_is_replaced() {
        let metrics = Arc::new(Metrics::default());
        assert_eq!(request_id_of(&answer(&metrics, "/players/1", Some("game-client-42")).await), "game-client-42");
        let made = answer(&metrics, "/players/1", None).await;
        let again = answer(&metrics, "/players/1", None).await;
        assert_eq!(request_id_of(&made).len(), 36);
        assert_ne!(request_id_of(&made), request_id_of(&again));
        for unusable in ["two words", &"x".repeat(129), ""] {
            let replaced = answer(&metrics, "/players/1", Some(unusable)).await;
            assert_eq!(request_id_of(&replaced).len(), 36, "{unusable:?} was kept");
        }
    }

    #[tokio::test]
    async fn every_answer_is_counted_under_its_route_pattern() {
        let metrics = Arc::new(Metrics::default());
        answer(&metrics, "/players/1", None).await;
        answer(&metrics, "/players/2/", None).await;
        answer(&metrics, "/nowhere", None).await;
        let text = metrics.render(0);
        for line in [
            "playerbase_http_requests_total{method=\"GET\",route=\"/players/{id}\",status=\"200\"} 2",
            "playerbase_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} is missing from\n{text}");
        }
    }
}
