//! Layers that protect every route: a time limit per request, the
//! cross-origin policy for browser games (Unity WebGL), and the security
//! headers of every response.

use std::time::Duration;

use axum::BoxError;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::Response;
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

/// Pages may load scripts, styles and images from this server only (no
/// inline script), may not be framed, and post forms only back here.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Overlays are made to be embedded by streaming tools, so they may be framed.
const OVERLAY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/// The headers every answer gets: no content sniffing, a referrer policy,
/// and for pages a content security policy unless the page set its own (an
/// overlay, `overlay_policy`), and no framing with it. A plain function over
/// the answer, so the layer neither boxes nor clones per request.
pub fn security_headers(mut response: Response) -> Response {
    let html = is_html(&response);
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // A handler may have set a stricter one (the Twitch callback: `no-referrer`).
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// The policy of the overlays' pages, which streaming tools frame.
pub fn overlay_policy(mut response: Response) -> Response {
    if is_html(&response) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(OVERLAY_POLICY));
    }
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::response::Html;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower::util::MapResponseLayer;

    async fn headers_of(path: &str) -> axum::http::HeaderMap {
        let app = Router::new()
            .route("/page", get(|| async { Html("<p>hi</p>") }))
            .merge(
                Router::new()
                    .route("/overlay/awards", get(|| async { Html("<p>ticker</p>") }))
                    .layer(MapResponseLayer::new(overlay_policy)),
            )
            .route("/api", get(|| async { axum::Json(serde_json::json!({})) }))
            .layer(MapResponseLayer::new(security_headers));
        let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
        app.oneshot(request).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn pages_get_a_policy_without_inline_script_and_cannot_be_framed() {
        let page = headers_of("/page").await;
        let policy = page[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'self';") && !policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(page[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(page[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

        let overlay = headers_of("/overlay/awards").await;
        assert!(!overlay[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors"));
        assert!(overlay.get(header::X_FRAME_OPTIONS).is_none(), "streaming tools embed overlays");

        let api = headers_of("/api").await;
        assert_eq!(api[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(api.get(header::CONTENT_SECURITY_POLICY).is_none());
    }
}
