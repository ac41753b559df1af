use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::auth::Passwords;
use crate::awards::{Awards, Events, Writer, feed};
use crate::config::Config;
use crate::domain::{PasswordRules, StatCatalog, periods};
use crate::leaderboards::{self, Leaderboards};
use crate::store::Store;
use crate::twitch::TwitchClient;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub stats: StatCatalog,
    pub password_rules: PasswordRules,
    pub store: Arc<dyn Store>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub boards: Arc<Leaderboards>,
    pub events: Events,
    pub awards: Awards,
    /// Twitch's OAuth server and Helix; calls needing credentials fail with
    /// `NotConfigured` until `[twitch]` has them.
    pub twitch: TwitchClient,
}

impl AppState {
    /// Loads the leaderboards of the running periods and starts the award writer.
    pub async fn start(config: Config, store: Arc<dyn Store>, clock: Clock) -> anyhow::Result<Self> {
        let stats = config.stat_catalog()?;
        let twitch = TwitchClient::new(&config.twitch)?;
        let password_rules = config.password_rules();
        let boards = Arc::new(Leaderboards::new(&stats));
        let last_announcement =
            leaderboards::load(&boards, store.as_ref(), &periods::current(clock.now(), None)).await?;
        let events = Events::default();
        let applied = feed::follow(store.clone(), boards.clone(), events.clone(), last_announcement).await?;
        let awards = Awards::start(Writer {
            store: store.clone(),
            catalog: stats.clone(),
            boards: boards.clone(),
            events: events.clone(),
            clock: clock.clone(),
            applied,
        });
        Ok(Self(Arc::new(Shared {
            config,
            stats,
            password_rules,
            store,
            passwords: Passwords::new(),
            clock,
            boards,
            events,
            awards,
            twitch,
        })))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Wall-clock time in unix seconds; tests move it forward instead of sleeping.
#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.offset.load(Ordering::Relaxed)
    }

    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
