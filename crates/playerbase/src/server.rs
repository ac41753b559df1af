//! Serving HTTP/1 on the accepted connections, with two bounds axum's own
//! `serve` leaves out: a connection that has not sent a whole request head
//! within the request time limit is closed (an idle or slow client cannot
//! hold one of `limits.max_connections` for ever; a client that does not
//! read its answer is bounded in connections.rs), and a shutdown waits for
//! the requests under way at most that long before it closes what is left.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::{Service, ServiceExt};

use crate::connections::{LimitedListener, LimitedStream};

/// Serves `app` on `listener` until `shutdown` resolves; then the requests
/// under way get up to `time_limit` to finish, and connections still open
/// after it are closed.
pub async fn serve<S>(
    mut listener: LimitedListener,
    app: S,
    time_limit: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let (stop, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        stop.send_replace(true);
    });
    let mut connections = JoinSet::new();
    let mut accepting = stopping.clone();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = accepting.wait_for(|&stop| stop) => break,
        };
        // Finished connections leave the set as new ones come.
        while connections.try_join_next().is_some() {}
        connections.spawn(serve_connection(stream, peer, app.clone(), time_limit, stopping.clone()));
    }
    drop(listener);
    let finished = tokio::time::timeout(time_limit, async { while connections.join_next().await.is_some() {} });
    if finished.await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open {time_limit:?} after the shutdown began; closed"
        );
        connections.shutdown().await;
    }
}

async fn serve_connection<S>(
    stream: LimitedStream,
    peer: SocketAddr,
    app: S,
    head_time_limit: Duration,
    mut stopping: watch::Receiver<bool>,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    // What `into_make_service_with_connect_info` would give each request: the peer's address.
    let app = app.map_request(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(head_time_limit);
    let mut connection =
        pin!(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app)).with_upgrades());
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                return;
            }
            // A shutdown: the request under way finishes, an idle connection closes now.
            _ = stopping.wait_for(|&stop| stop), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
