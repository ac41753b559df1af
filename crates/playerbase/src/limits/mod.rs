//! Rate limits (`[limits]`): password attempts per address and per
//! account, sign-ups per address, awards per API key. Each instance counts
//! on its own; behind a load balancer of N instances an address gets up to
//! N times the configured rates.

mod buckets;
mod client_ip;
mod logins;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub use buckets::RetryAfter;
use buckets::{Buckets, Rate};
pub use client_ip::ClientIp;
use logins::LoginFailures;

use crate::config::LimitsConfig;
use crate::domain::username::MAX_USERNAME_LEN;

pub struct Limits {
    /// Live event streams open per address: each holds a connection (one
    /// of `max_connections`) for as long as it is open.
    event_streams: Arc<Mutex<HashMap<IpAddr, usize>>>,
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
            event_streams: Arc::default(),
            login_per_ip: per(config.login_per_ip, 60),
            register_per_ip: per(config.register_per_ip, 3600),
            awards_per_key,
            login_failures: LoginFailures::new(config.login_failures_per_account),
        }
    }

    /// Counts a password attempt from `ip` for `account`, or refuses it.
    /// `owner_address`: the account logged in from there lately (the store
    /// says so), which the account's back-off does not hold back.
    pub fn login_attempt(&self, ip: IpAddr, account: &str, owner_address: bool, now: i64) -> Result<(), RetryAfter> {
        if !owner_address {
            self.login_failures.check(account, now)?;
        }
        take(&self.login_per_ip, network_of(ip), 1.0, now)
    }

    /// Counts a failed password for `account`. A name longer than any
    /// username names no account, and is not kept: memory follows accounts,
    /// not what callers send.
    pub fn login_failed(&self, account: &str, now: i64) {
        if account.chars().count() <= MAX_USERNAME_LEN {
            self.login_failures.failed(account, now);
        }
    }

    /// The address becomes known to the account: by its /64 for IPv6, whose
    /// privacy addresses change within it from day to day. Returns the
    /// network and until when it is known, if the store should be told.
    pub fn login_succeeded(&self, ip: IpAddr, account: &str, now: i64) -> Option<(IpAddr, i64)> {
        let network = network_of(ip);
        self.login_failures.succeeded(account, network, now).map(|until| (network, until))
    }

    /// The account's password changed: addresses it logged in from no longer vouch for the owner.
    pub fn password_changed(&self, account: &str) {
        self.login_failures.forget_known(account);
    }

    /// The account is deleted: what was kept about its name goes.
    pub fn account_deleted(&self, account: &str) {
        self.login_failures.forget(account);
    }

    /// Whether failed passwords hold back an address `account` does not
    /// know: only then is it worth asking the store whether it knows this one.
    pub fn login_held_back(&self, account: &str, now: i64) -> bool {
        self.login_failures.check(account, now).is_err()
    }

    /// A place for one more live event stream from `ip` (IPv6 by its /64),
    /// held until the returned place is dropped; none past
    /// [`EVENT_STREAMS_PER_IP`], so that one client cannot take every connection.
    pub fn event_stream(&self, ip: IpAddr) -> Option<StreamPlace> {
        let network = network_of(ip);
        let mut open = self.event_streams.lock().expect("event streams lock");
        let count = open.entry(network).or_default();
        if *count >= EVENT_STREAMS_PER_IP {
            return None;
        }
        *count += 1;
        Some(StreamPlace { open: self.event_streams.clone(), network })
    }

    pub fn sign_up(&self, ip: IpAddr, now: i64) -> Result<(), RetryAfter> {
        take(&self.register_per_ip, network_of(ip), 1.0, now)
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

/// Live event streams one address may keep open at once: a streamer's
/// overlays and a game's clients behind one router stay well under it.
pub const EVENT_STREAMS_PER_IP: usize = 32;

/// One open live event stream of an address; gives its place back when dropped.
pub struct StreamPlace {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    network: IpAddr,
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("event streams lock");
        if let Some(count) = open.get_mut(&self.network) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.network);
            }
        }
    }
}

/// What per-address limits count by: an IPv4 address, or an IPv6 address's
/// /64. One subscriber is handed a whole /64 and could otherwise take a new
/// address, and a new allowance, for every request.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

fn take<K: std::hash::Hash + Eq>(buckets: &Option<Buckets<K>>, key: K, cost: f64, now: i64) -> Result<(), RetryAfter> {
    buckets.as_ref().map_or(Ok(()), |buckets| buckets.take(key, cost, now as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(edit: impl FnOnce(&mut LimitsConfig)) -> Limits {
        let mut config = LimitsConfig::default();
        edit(&mut config);
        Limits::new(&config)
    }

    #[test]
    fn addresses_of_one_ipv6_64_share_an_allowance_and_mapped_ipv4_is_ipv4() {
        let limits = limits(|c| c.register_per_ip = 2);
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(limits.sign_up(ip("2001:db8:1:2::1"), 0).is_ok());
        assert!(limits.sign_up(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), 0).is_ok());
        assert!(limits.sign_up(ip("2001:db8:1:2::99"), 0).is_err(), "the same /64");
        assert!(limits.sign_up(ip("2001:db8:1:3::1"), 0).is_ok(), "the next /64 is someone else");
        assert!(limits.sign_up(ip("192.0.2.7"), 0).is_ok());
        assert!(limits.sign_up(ip("::ffff:192.0.2.7"), 0).is_ok());
        assert!(limits.sign_up(ip("192.0.2.7"), 0).is_err(), "an IPv4-mapped address is that IPv4 address");
    }

    #[test]
    fn the_back_off_holds_back_other_addresses_not_the_owners() {
        let limits = limits(|c| c.login_failures_per_account = 1);
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        for _ in 0..5 {
            limits.login_failed("owner", 1);
        }
        assert!(limits.login_held_back("Owner", 1));
        assert!(limits.login_attempt(ip("2001:db8:9:9::1"), "owner", false, 1).is_err(), "an attacker is held back");
        assert!(limits.login_attempt(ip("2001:db8:1:2::bbbb"), "owner", true, 1).is_ok(), "an address the store knows");
    }

    #[test]
    fn failures_for_names_no_account_can_have_are_not_kept() {
        let limits = limits(|c| c.login_failures_per_account = 1);
        let ip = "10.0.0.1".parse().unwrap();
        let too_long = "x".repeat(MAX_USERNAME_LEN + 1);
        for _ in 0..5 {
            limits.login_failed(&too_long, 0);
        }
        assert!(limits.login_attempt(ip, &too_long, false, 0).is_ok());
        let longest = "x".repeat(MAX_USERNAME_LEN);
        for _ in 0..5 {
            limits.login_failed(&longest, 0);
        }
        assert!(limits.login_attempt(ip, &longest, false, 0).is_err(), "a real name is still held back");
    }
}
