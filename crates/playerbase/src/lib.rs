//! playerbase: player accounts and player stats for games played through Twitch.
//!
//! Data flows one way: HTTP → a handler that parses and authorises → a
//! domain rule → the store. `main` and the tests start the app the same way,
//! through [`build_app`] and [`serve`].

pub mod accounts;
pub mod auth;
pub mod awards;
pub mod commands;
pub mod config;
mod connections;
pub mod domain;
pub mod error;
pub mod http;
pub mod leaderboards;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod profiles;
mod server;
pub mod state;
pub mod store;
pub mod timestamps;
pub mod twitch;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::connections::LimitedListener;
use crate::store::Store;
use crate::store::serve_lock::ServeLock;

pub use config::Config;
pub use http::{App, build_app};
pub use state::{AppState, Clock};

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests under way finish within `time_limit` (`limits.request_timeout_seconds`,
/// which also bounds how long a connection may take to send a request's
/// head and how long its answer may wait for the client to read).
/// `max_connections` is `limits.max_connections`.
pub async fn serve(
    listener: TcpListener,
    max_connections: usize,
    time_limit: Duration,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let listener = LimitedListener::new(listener, max_connections, time_limit);
    server::serve(listener, app, time_limit, shutdown).await;
}

/// How often expired tokens, old idempotency answers and ended periods' boards are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// Idempotency answers are kept at least this long (API.md promises 24 hours).
const KEEP_REPLIES: i64 = 48 * 3600;
/// Announcements to other instances are read within seconds; an hour is plenty.
const KEEP_ANNOUNCEMENTS: i64 = 3600;
/// Applied EventSub message ids are kept a day, far past Twitch's
/// 10-minute replay window, so a resend is recognised.
const KEEP_EVENTSUB_MESSAGES: i64 = 24 * 3600;

/// `playerbase serve`: opens the store, listens, and serves until `shutdown`.
/// A `shutdown` while starting (migrations, loading the boards) stops there.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let (stop, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        stop.send_replace(true);
    });
    let stopped = |mut stopping: watch::Receiver<bool>| async move {
        // A sender gone without a word can only mean the runtime is ending: stop too.
        let _ = stopping.wait_for(|&stop| stop).await;
    };
    let (listener, _only_server, store, state) = tokio::select! {
        started = start(config) => started?,
        () = stopped(stopping.clone()) => {
            tracing::info!("stopped while starting");
            return Ok(());
        }
    };
    let sweeper = tokio::spawn(sweep(state.clone()));
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let max_connections = state.config.limits.max_connections;
    let time_limit = Duration::from_secs(state.config.limits.request_timeout_seconds);
    let events = state.events.clone();
    let shutdown = async move {
        stopped(stopping).await;
        events.close();
    };
    serve(listener, max_connections, time_limit, build_app(state.clone()), shutdown).await;
    sweeper.abort();
    state.eventsub.stop().await;
    state.awards.stop().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Everything before serving: the socket, the one-server lock, the store, the state.
async fn start(config: Config) -> anyhow::Result<(TcpListener, ServeLock, Arc<dyn Store>, AppState)> {
    // Listening first: a wrong --listen touches no database.
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let only_server = match store::serve_lock::take(&config.database)? {
        ServeLock::Serving(file) => anyhow::bail!(
            "another `playerbase serve` (or `import-flask`) is using {}: one server per SQLite file (each keeps \
             the leaderboards in memory); stop it first, or move to PostgreSQL for several instances",
            file.display()
        ),
        held => held,
    };
    if !config.twitch.eventsub_secret.expose().is_empty() && config.twitch.broadcaster_user_id.is_empty() {
        tracing::warn!(
            "twitch.broadcaster_user_id is not set: EventSub events of every channel apply, and any \
             channel's stream.online starts a stream period"
        );
    }
    let store = store::open(&config.database).await?;
    tracing::info!(database = %store::location(&config.database), "database opened");
    let state = AppState::start(config, store.clone(), Clock::default()).await?;
    Ok((listener, only_server, store, state))
}

async fn sweep(state: AppState) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let now = state.clock.now();
        if let Err(err) = state.store.delete_expired_tokens(now).await {
            tracing::warn!(error = %err, "could not remove expired tokens");
        }
        if let Err(err) = state.store.delete_expired_twitch_logins(now).await {
            tracing::warn!(error = %err, "could not remove expired Twitch logins");
        }
        if let Err(err) = state.store.delete_replies_before(now - KEEP_REPLIES).await {
            tracing::warn!(error = %err, "could not remove old idempotency answers");
        }
        if let Err(err) = state.store.delete_announcements_before(now - KEEP_ANNOUNCEMENTS).await {
            tracing::warn!(error = %err, "could not remove old announcements");
        }
        if let Err(err) = state.store.delete_eventsub_messages_before(now - KEEP_EVENTSUB_MESSAGES).await {
            tracing::warn!(error = %err, "could not remove old EventSub messages");
        }
        match state.store.stream().await {
            Ok(stream) => {
                let stream = store::twitch::Stream::last_start(stream);
                state.boards.retain_periods(&domain::periods::current_and_next(now, stream));
            }
            Err(err) => tracing::warn!(error = %err, "could not read the stream; boards kept"),
        }
        state.limits.sweep(now);
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled (inside `serve`): a SIGTERM
/// that comes right after "listening on" must stop the server gracefully,
/// not kill it with the signal's default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            tokio::select! {
                () = received(interrupt.as_mut()) => {}
                () = received(terminate.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests under way");
    }
}

/// A signal's next arrival; never, where its handler could not be installed.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
