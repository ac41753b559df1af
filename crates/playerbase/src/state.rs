use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::auth::Passwords;
use crate::config::Config;
use crate::domain::{PasswordRules, StatCatalog};
use crate::store::Store;

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
}

impl AppState {
    pub fn new(config: Config, store: Arc<dyn Store>, clock: Clock) -> Result<Self, crate::config::ConfigError> {
        let stats = config.stat_catalog()?;
        let password_rules = config.password_rules();
        Ok(Self(Arc::new(Shared { config, stats, password_rules, store, passwords: Passwords::new(), clock })))
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
