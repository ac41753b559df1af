//! Rate limits (`[limits]`): password attempts per address and per
//! account, sign-ups per address, awards per API key. Each instance counts
//! on its own; behind a load balancer of N instances an address gets up to
//! N times the configured rates.

mod buckets;
mod client_ip;
mod logins;

use std::net::IpAddr;

pub use buckets::RetryAfter;
use buckets::{Buckets, Rate};
pub use client_ip::ClientIp;
use logins::LoginFailures;

use crate::config::LimitsConfig;

pub struct Limits {
    login_per_ip: Option<Buckets<IpAddr>>,
    register_per_ip: Option<Buckets<IpAddr>>,
    awards_per_key: Option<Buckets<i64>>,
    login_failures: LoginFailures,
}

/// A key's bucket holds ten seconds of its rate, and at least one full batch.
const AWARD_BURST_SECONDS: f64 = 10.0;
const MAX_BATCH: f64 = 10_000.0;

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        let per = |count: u32, seconds: u32| (count > 0).then(|| Buckets::new(Rate::per(count, seconds)));
        let awards_per_key = (config.awards_per_key > 0).then(|| {
            let per_second = f64::from(config.awards_per_key);
            Buckets::new(Rate { capacity: (per_second * AWARD_BURST_SECONDS).max(MAX_BATCH), per_second })
        });
        Self {
            login_per_ip: per(config.login_per_ip, 60),
            register_per_ip: per(config.register_per_ip, 3600),
            awards_per_key,
            login_failures: LoginFailures::new(config.login_failures_per_account),
        }
    }

    /// Counts a password attempt from `ip` for `account`, or refuses it.
    pub fn login_attempt(&self, ip: IpAddr, account: &str, now: i64) -> Result<(), RetryAfter> {
        self.login_failures.check(account, ip, now)?;
        take(&self.login_per_ip, ip, 1.0, now)
    }

    pub fn login_failed(&self, account: &str, now: i64) {
        self.login_failures.failed(account, now);
    }

    pub fn login_succeeded(&self, ip: IpAddr, account: &str, now: i64) {
        self.login_failures.succeeded(account, ip, now);
    }

    pub fn sign_up(&self, ip: IpAddr, now: i64) -> Result<(), RetryAfter> {
        take(&self.register_per_ip, ip, 1.0, now)
    }

    pub fn awards(&self, key_id: i64, count: usize, now: i64) -> Result<(), RetryAfter> {
        take(&self.awards_per_key, key_id, count as f64, now)
    }

    /// Drops what no longer limits anyone, so memory follows the active callers.
    pub fn sweep(&self, now: i64) {
        for buckets in [&self.login_per_ip, &self.register_per_ip].into_iter().flatten() {
            buckets.forget_full(now as f64);
        }
        if let Some(buckets) = &self.awards_per_key {
            buckets.forget_full(now as f64);
        }
        self.login_failures.forget_idle(now);
    }
}

fn take<K: std::hash::Hash + Eq>(buckets: &Option<Buckets<K>>, key: K, cost: f64, now: i64) -> Result<(), RetryAfter> {
    buckets.as_ref().map_or(Ok(()), |buckets| buckets.take(key, cost, now as f64))
}
