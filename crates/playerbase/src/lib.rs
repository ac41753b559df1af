//! playerbase: player accounts and player stats for games played through Twitch.
//!
//! Data flows one way: HTTP → a handler that parses and authorises → a
//! domain rule → the store. `main` and the tests start the app the same way,
//! through [`build_app`] and [`serve`].

pub mod accounts;
pub mod auth;
pub mod commands;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod state;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::ServiceExt;
use axum::extract::Request;
use tokio::net::TcpListener;

pub use config::Config;
pub use http::{App, build_app};
pub use state::{AppState, Clock};

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests under way finish.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app);
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}

/// How often expired tokens are swept from the store.
const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// `playerbase serve`: opens the store, listens, and serves until `shutdown`.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let store = store::open(&config.database).await?;
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let state = AppState::new(config, store.clone(), Clock::default())?;
    let sweeper = tokio::spawn(sweep_expired_tokens(state.clone()));
    tracing::info!("listening on http://{}", listener.local_addr()?);
    serve(listener, build_app(state), shutdown).await?;
    sweeper.abort();
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn sweep_expired_tokens(state: AppState) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        match state.store.delete_expired_tokens(state.clock.now()).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "expired tokens removed"),
            Err(err) => tracing::warn!(error = %err, "could not remove expired tokens"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests under way");
}
