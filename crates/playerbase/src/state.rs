use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use crate::auth::Passwords;
use crate::auth::api_keys::ApiKeyCache;
use crate::auth::recent_logins::RecentLogins;
use crate::awards::{Awards, Events, Writer, feed};
use crate::config::Config;
use crate::domain::{PasswordRules, StatCatalog, periods};
use crate::leaderboards::{self, Leaderboards};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::profiles::Profiles;
use crate::store::Store;
use crate::store::twitch::Stream;
use crate::twitch::TwitchClient;
use crate::twitch::chat::helix::HelixChat;
use crate::twitch::chat::{Answerer, ChatSender, limits::Limits as ChatLimits};
use crate::twitch::eventsub::EventSub;
use crate::twitch::eventsub::worker::Worker;
use crate::twitch::rules::Rules;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub stats: StatCatalog,
    pub password_rules: PasswordRules,
    pub store: Arc<dyn Store>,
    pub passwords: Passwords,
    pub recent_logins: RecentLogins,
    pub clock: Clock,
    pub boards: Arc<Leaderboards>,
    pub profiles: Arc<Profiles>,
    pub events: Events,
    pub awards: Awards,
    pub eventsub: EventSub,
    /// Twitch's OAuth server and Helix; calls needing credentials fail with
    /// `NotConfigured` until `[twitch]` has them.
    pub twitch: TwitchClient,
    pub limits: Limits,
    pub metrics: Arc<Metrics>,
    pub api_keys: ApiKeyCache,
}

impl AppState {
    /// Loads the leaderboards of the running periods and the profile
    /// directory, and starts the award
    /// writer and the EventSub worker; the bot (when `twitch.chat.bot_user_id`
    /// is set) speaks through Helix Send Chat Message.
    pub async fn start(config: Config, store: Arc<dyn Store>, clock: Clock) -> anyhow::Result<Self> {
        Self::start_with_chat(config, store, clock, None).await
    }

    /// As [`AppState::start`], with the bot speaking through `chat` instead
    /// of Helix (it speaks only when `twitch.chat.bot_user_id` is set).
    pub async fn start_with_chat(
        config: Config,
        store: Arc<dyn Store>,
        clock: Clock,
        chat: Option<Arc<dyn ChatSender>>,
    ) -> anyhow::Result<Self> {
        let stats = config.stat_catalog()?;
        let rules = Rules::compile(&config.twitch.rules, &stats).map_err(anyhow::Error::msg)?;
        let twitch = TwitchClient::new(&config.twitch)?;
        let password_rules = config.password_rules();
        let boards = Arc::new(Leaderboards::new(&stats));
        let stream = Stream::last_start(store.stream().await?);
        // Both read the whole database (on SQLite one after the other, each straight from its handle).
        let running = periods::current_and_next(clock.now(), stream);
        let (last_announcement, profiles) = tokio::try_join!(
            leaderboards::load(&boards, store.as_ref(), &running),
            Profiles::load(store.as_ref(), stats.clone()),
        )?;
        let profiles = Arc::new(profiles);
        let events = Events::default();
        let applied = feed::follow(store.clone(), boards.clone(), events.clone(), last_announcement).await?;
        let metrics = Arc::new(Metrics::default());
        let awards = Awards::start(Writer {
            store: store.clone(),
            catalog: stats.clone(),
            boards: boards.clone(),
            profiles: profiles.clone(),
            events: events.clone(),
            clock: clock.clone(),
            metrics: metrics.clone(),
            applied,
        });
        let bot_user_id = config.twitch.chat.bot_user_id.clone();
        let chat =
            chat.unwrap_or_else(|| Arc::new(HelixChat { client: twitch.clone(), bot_user_id: bot_user_id.clone() }));
        let answerer = Some(chat).filter(|_| !bot_user_id.is_empty()).map(|sender| {
            Arc::new(Answerer {
                sender,
                store: store.clone(),
                catalog: stats.clone(),
                boards: boards.clone(),
                clock: clock.clone(),
                limits: Mutex::new(ChatLimits::default()),
                words: config.twitch.chat.clone(),
            })
        });
        let eventsub = EventSub::start(Worker {
            store: store.clone(),
            awards: awards.clone(),
            rules,
            broadcaster_user_id: config.twitch.broadcaster_user_id.clone(),
            chat: config.twitch.chat.clone(),
            answerer,
            clock: clock.clone(),
        });
        let limits = Limits::new(&config.limits);
        Ok(Self(Arc::new(Shared {
            config,
            stats,
            password_rules,
            store,
            passwords: Passwords::new(),
            recent_logins: RecentLogins::new(),
            clock,
            boards,
            profiles,
            events,
            awards,
            eventsub,
            twitch,
            limits,
            metrics,
            api_keys: ApiKeyCache::default(),
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
    /// When set, the time stands still there (plus `offset`), for tests that count seconds.
    paused_at: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let paused_at = self.paused_at.load(Ordering::Relaxed);
        let base = if paused_at != 0 { paused_at } else { time::OffsetDateTime::now_utc().unix_timestamp() };
        base + self.offset.load(Ordering::Relaxed)
    }

    /// Stops the clock where it is; only [`Clock::advance`] moves it on.
    pub fn pause(&self) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let _ = self.paused_at.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
