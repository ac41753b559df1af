//! How often the bot may speak: once per chatter per cooldown, and at most
//! a few times per window in all, so a chat full of `!stats` never makes it
//! spam (Twitch itself allows a bot 20 messages in 30 seconds).

use std::collections::{HashMap, VecDeque};

#[derive(Debug)]
pub struct Limits {
    per_chatter_seconds: i64,
    window_seconds: i64,
    per_window: usize,
    last_answer: HashMap<String, i64>,
    recent: VecDeque<i64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(30, 30, 10)
    }
}

impl Limits {
    pub fn new(per_chatter_seconds: i64, window_seconds: i64, per_window: usize) -> Self {
        Self { per_chatter_seconds, window_seconds, per_window, last_answer: HashMap::new(), recent: VecDeque::new() }
    }

    /// Whether the bot may answer `chatter` at `now`; if so, the answer is counted.
    pub fn allow(&mut self, chatter: &str, now: i64) -> bool {
        while self.recent.front().is_some_and(|&at| now - at >= self.window_seconds) {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.per_window {
            return false;
        }
        if self.last_answer.get(chatter).is_some_and(|&at| now - at < self.per_chatter_seconds) {
            return false;
        }
        self.last_answer.retain(|_, at| now - *at < self.per_chatter_seconds);
        self.last_answer.insert(chatter.to_owned(), now);
        self.recent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chatter_waits_its_cooldown_and_everyone_shares_the_window() {
        let mut limits = Limits::new(30, 30, 3);
        assert!(limits.allow("a", 0));
        assert!(!limits.allow("a", 29), "the same chatter within 30 s");
        assert!(limits.allow("b", 1));
        assert!(limits.allow("c", 2));
        assert!(!limits.allow("d", 3), "three answers in the window already");
        assert!(limits.allow("d", 30), "the first answer left the window");
        assert!(limits.allow("a", 31));
    }
}
