//! Failed logins per account, with exponential back-off. The back-off
//! cannot lock the owner out: addresses the account logged in from lately
//! are not held back (`auth::password_attempt` asks the store, the one
//! record every instance shares and a new password clears). Failures are
//! counted per instance. What this remembers of addresses is only when it
//! last told the store, so that a client sending its password with every
//! request does not write each time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::buckets::RetryAfter;

/// Failures older than this (since the last one) are forgotten.
const FAILURE_MEMORY: i64 = 15 * 60;
/// The longest wait the back-off asks for.
const MAX_BACKOFF: i64 = 15 * 60;
/// How long a successful login makes an address known to the account.
const KNOWN_FOR: i64 = 30 * 86_400;
/// A login from a known address tells the store again once this much of
/// [`KNOWN_FOR`] has passed, not at every request (legacy clients send
/// their password with each one).
const REFRESH_AFTER: i64 = 86_400;
const MAX_KNOWN_ADDRESSES: usize = 8;

#[derive(Default)]
struct Account {
    failures: u32,
    last_failure: i64,
    known: Vec<(IpAddr, i64)>,
}

impl Account {
    fn known_until(&self, ip: IpAddr) -> Option<i64> {
        self.known.iter().find(|&&(known, _)| known == ip).map(|&(_, until)| until)
    }

    /// Known until `until`: replaces an older entry of `ip`, and the oldest beyond the limit.
    fn know(&mut self, ip: IpAddr, until: i64, now: i64) {
        self.known.retain(|&(known, known_until)| known != ip && known_until > now);
        if self.known.len() == MAX_KNOWN_ADDRESSES {
            self.known.remove(0);
        }
        self.known.push((ip, until));
    }

    fn is_idle(&self, now: i64) -> bool {
        now - self.last_failure > FAILURE_MEMORY && self.known.iter().all(|&(_, until)| until <= now)
    }
}

pub struct LoginFailures {
    /// Failures allowed before the back-off starts; 0 turns it off.
    allowed: u32,
    accounts: Mutex<HashMap<String, Account>>,
}

impl LoginFailures {
    pub fn new(allowed: u32) -> Self {
        Self { allowed, accounts: Mutex::new(HashMap::new()) }
    }

    /// Whether a password may be tried for `account` now, from an address
    /// the account does not know: the wait, if the back-off holds it back.
    pub fn check(&self, account: &str, now: i64) -> Result<(), RetryAfter> {
        if self.allowed == 0 {
            return Ok(());
        }
        let accounts = self.accounts.lock().expect("login lock poisoned");
        let Some(state) = accounts.get(&account.to_lowercase()) else { return Ok(()) };
        if state.failures < self.allowed || now - state.last_failure > FAILURE_MEMORY {
            return Ok(());
        }
        let over = (state.failures - self.allowed).min(20);
        let wait = (1i64 << over).min(MAX_BACKOFF);
        let until = state.last_failure + wait;
        if now < until { Err(RetryAfter((until - now) as u64)) } else { Ok(()) }
    }

    pub fn failed(&self, account: &str, now: i64) {
        if self.allowed == 0 {
            return;
        }
        let mut accounts = self.accounts.lock().expect("login lock poisoned");
        let state = accounts.entry(account.to_lowercase()).or_default();
        if now - state.last_failure > FAILURE_MEMORY {
            state.failures = 0;
        }
        state.failures = state.failures.saturating_add(1);
        state.last_failure = now;
    }

    /// The owner logged in from `ip`: it is known for [`KNOWN_FOR`]. Returns
    /// until when, if the store should be told (a new address, or a day since it was).
    pub fn succeeded(&self, account: &str, ip: IpAddr, now: i64) -> Option<i64> {
        if self.allowed == 0 {
            return None;
        }
        let mut accounts = self.accounts.lock().expect("login lock poisoned");
        // The failures stay: forgetting them at the owner's login would hand an
        // attacker a fresh allowance each time. The owner's address is known now.
        let state = accounts.entry(account.to_lowercase()).or_default();
        let until = now + KNOWN_FOR;
        let told_until = state.known_until(ip).filter(|&told| told > now);
        if told_until.is_some_and(|told| told + REFRESH_AFTER > until) {
            return None;
        }
        state.know(ip, until, now);
        Some(until)
    }

    /// The account's password changed and the store forgot its addresses:
    /// the next login from one tells the store again.
    pub fn forget_known(&self, account: &str) {
        if let Some(state) = self.accounts.lock().expect("login lock poisoned").get_mut(&account.to_lowercase()) {
            state.known.clear();
        }
    }

    /// The account is deleted: a new one of the same name starts with nothing of it.
    pub fn forget(&self, account: &str) {
        self.accounts.lock().expect("login lock poisoned").remove(&account.to_lowercase());
    }

    pub fn forget_idle(&self, now: i64) {
        self.accounts.lock().expect("login lock poisoned").retain(|_, state| !state.is_idle(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 66));

    #[test]
    fn failures_past_the_allowance_back_off_exponentially() {
        let logins = LoginFailures::new(3);
        for _ in 0..3 {
            assert!(logins.check("Victim", 100).is_ok());
            logins.failed("Victim", 100);
        }
        assert_eq!(logins.check("victim", 100), Err(RetryAfter(1)), "names ignore case");
        assert!(logins.check("victim", 101).is_ok());
        logins.failed("victim", 101);
        assert_eq!(logins.check("victim", 101), Err(RetryAfter(2)));
        logins.failed("victim", 103);
        assert_eq!(logins.check("victim", 103), Err(RetryAfter(4)));
        assert!(logins.check("someone_else", 103).is_ok());
    }

    #[test]
    fn the_back_off_is_capped_and_forgotten_after_quiet() {
        let logins = LoginFailures::new(1);
        for t in 0..40 {
            logins.failed("victim", t);
        }
        assert_eq!(logins.check("victim", 40), Err(RetryAfter(MAX_BACKOFF as u64 - 1)));
        assert!(logins.check("victim", 39 + FAILURE_MEMORY + 1).is_ok());
    }

    #[test]
    fn the_store_is_told_of_a_new_address_and_again_a_day_later() {
        let logins = LoginFailures::new(2);
        assert_eq!(logins.succeeded("owner", OWNER, 0), Some(KNOWN_FOR));
        assert_eq!(logins.succeeded("Owner", OWNER, 3_600), None, "not at every request");
        assert_eq!(logins.succeeded("owner", ATTACKER, 3_600), Some(3_600 + KNOWN_FOR), "another address");
        let a_day_later = REFRESH_AFTER + 1;
        assert_eq!(logins.succeeded("owner", OWNER, a_day_later), Some(a_day_later + KNOWN_FOR));
        assert_eq!(LoginFailures::new(0).succeeded("owner", OWNER, 0), None, "no back-off, nothing to keep");
    }

    #[test]
    fn a_new_password_or_a_deletion_forgets_what_the_store_was_told() {
        let logins = LoginFailures::new(1);
        assert!(logins.succeeded("victim", OWNER, 0).is_some());
        assert_eq!(logins.succeeded("victim", OWNER, 1), None, "told already");
        logins.forget_known("Victim");
        assert!(logins.succeeded("victim", OWNER, 2).is_some(), "after a new password the store is told again");
        logins.failed("reused", 0);
        logins.forget("reused");
        assert!(logins.accounts.lock().unwrap().get("reused").is_none(), "a deleted account's name starts clean");
    }

    #[test]
    fn zero_turns_the_back_off_off() {
        let logins = LoginFailures::new(0);
        for t in 0..100 {
            logins.failed("victim", t);
        }
        assert!(logins.check("victim", 100).is_ok());
    }

    #[test]
    fn idle_accounts_are_forgotten() {
        let logins = LoginFailures::new(2);
        logins.failed("a", 0);
        logins.succeeded("b", OWNER, 0);
        logins.forget_idle(FAILURE_MEMORY + 1);
        assert_eq!(logins.accounts.lock().unwrap().len(), 1, "b's address is still known");
    }
}
