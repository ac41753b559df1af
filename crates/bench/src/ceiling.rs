//! The ceiling of the stack: a trivial axum handler answering fixed bytes
//! (a real profile response), served by the same axum/hyper/tokio as
//! playerbase, in its own process like playerbase. `Bare` is the router and
//! nothing else; `Layers` wraps it in playerbase's own middleware and
//! logging (`playerbase::http::with_middleware`, `playerbase::logging`: request
//! id, a span, the INFO access-log line, the request's metrics, trailing-slash
//! normalisation) so the cost of that middleware shows on its own.

use std::net::SocketAddr;
use std::path::Path;

use axum::extract::Request;
use axum::http::header;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Router, ServiceExt};
use bytes::Bytes;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stack {
    Bare,
    Layers,
}

/// Serves `body` as `application/json` on every `/api/v1/players/{id}` until killed.
pub fn serve(listen: &str, body_file: &Path, stack: Stack) -> anyhow::Result<()> {
    let body = Bytes::from(std::fs::read(body_file)?);
    // As playerbase's main: its subscriber, its writer.
    let _log = (stack == Stack::Layers).then(playerbase::logging::init);
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
                // As playerbase's `serve`: its middleware, with connect info.
                let app =
                    playerbase::http::with_middleware(router, Default::default(), tower::layer::util::Identity::new());
                let service = ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
                axum::serve(listener, service).await?
            }
        }
        Ok(())
    })
}
