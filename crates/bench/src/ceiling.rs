//! The ceiling of the stack: a trivial axum handler answering fixed bytes
//! (a real profile response), served by the same axum/hyper/tokio as
//! playerbase, in its own process like playerbase. `Bare` is the router and
//! nothing else; `Layers` adds playerbase's middleware (request id, a
//! tracing span with the per-request line at DEBUG, as shipped, trailing-slash
//! normalisation) so the cost of that middleware shows on its own.

use std::net::SocketAddr;
use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderName, header};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Router, ServiceExt};
use bytes::Bytes;
use tokio::net::TcpListener;
use tower_http::normalize_path::NormalizePath;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stack {
    Bare,
    Layers,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Serves `body` as `application/json` on every `/api/v1/players/{id}` until killed.
pub fn serve(listen: &str, body_file: &Path, stack: Stack) -> anyhow::Result<()> {
    let body = Bytes::from(std::fs::read(body_file)?);
    if stack == Stack::Layers {
        // As playerbase's main: the fmt subscriber at INFO, on stderr.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .init();
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        let addr: SocketAddr = listener.local_addr()?;
        // As playerbase's listener: Nagle's delay off.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let handler = move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        };
        let router = Router::new().route("/api/v1/players/{id}", get(handler));
        println!("listening on {addr}");
        match stack {
            Stack::Bare => axum::serve(listener, router).await?,
            Stack::Layers => {
                let router = router
                    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                    .layer(
                        TraceLayer::new_for_http()
                            .make_span_with(|request: &Request| {
                                let route = request
                                    .extensions()
                                    .get::<axum::extract::MatchedPath>()
                                    .map_or("", |path| path.as_str());
                                let request_id =
                                    request.headers().get(REQUEST_ID).and_then(|id| id.to_str().ok()).unwrap_or("");
                                tracing::info_span!("request", method = %request.method(), route, request_id)
                            })
                            .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
                    )
                    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
                // As playerbase's `serve`: normalisation outside the router, with connect info.
                let app = NormalizePath::trim_trailing_slash(router);
                let service = ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
                axum::serve(listener, service).await?
            }
        }
        Ok(())
    })
}
