//! Token buckets by key: `capacity` tokens, refilled at `per_second`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// How long a refused caller should wait, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    pub fn seconds(wait: f64) -> Self {
        Self((wait.ceil() as u64).max(1))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub capacity: f64,
    pub per_second: f64,
}

impl Rate {
    /// `count` per `seconds`, all of it available at once.
    pub fn per(count: u32, seconds: u32) -> Self {
        Self { capacity: f64::from(count), per_second: f64::from(count) / f64::from(seconds) }
    }
}

struct Bucket {
    tokens: f64,
    at: f64,
}

pub struct Buckets<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> Buckets<K> {
    pub fn new(rate: Rate) -> Self {
        Self { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes `cost` tokens from `key`'s bucket, or says how long until they are there.
    /// A cost above the capacity waits for a full bucket and takes it all.
    pub fn take(&self, key: K, cost: f64, now: f64) -> Result<(), RetryAfter> {
        let Rate { capacity, per_second } = self.rate;
        let mut buckets = self.buckets.lock().expect("bucket lock poisoned");
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: capacity, at: now });
        bucket.tokens = (bucket.tokens + (now - bucket.at).max(0.0) * per_second).min(capacity);
        bucket.at = now;
        let needed = cost.min(capacity);
        if bucket.tokens >= needed {
            bucket.tokens -= needed;
            Ok(())
        } else {
            Err(RetryAfter::seconds((needed - bucket.tokens) / per_second))
        }
    }

    /// Forgets buckets that have refilled completely: they hold nothing a new one would not.
    pub fn forget_full(&self, now: f64) {
        let Rate { capacity, per_second } = self.rate;
        let mut buckets = self.buckets.lock().expect("bucket lock poisoned");
        buckets.retain(|_, bucket| bucket.tokens + (now - bucket.at) * per_second < capacity);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_refills_at_the_rate() {
        let buckets = Buckets::new(Rate::per(60, 60));
        for _ in 0..60 {
            assert_eq!(buckets.take("ip", 1.0, 100.0), Ok(()));
        }
        assert_eq!(buckets.take("ip", 1.0, 100.0), Err(RetryAfter(1)));
        assert_eq!(buckets.take("other", 1.0, 100.0), Ok(()), "keys do not share a bucket");
        assert_eq!(buckets.take("ip", 1.0, 101.0), Ok(()));
        assert_eq!(buckets.take("ip", 5.0, 101.0), Err(RetryAfter(5)));
    }

    #[test]
    fn a_cost_over_the_capacity_waits_for_a_full_bucket() {
        let buckets = Buckets::new(Rate { capacity: 100.0, per_second: 10.0 });
        assert_eq!(buckets.take(1, 500.0, 0.0), Ok(()));
        assert_eq!(buckets.take(1, 500.0, 1.0), Err(RetryAfter(9)));
        assert_eq!(buckets.take(1, 500.0, 10.0), Ok(()));
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let buckets = Buckets::new(Rate::per(10, 10));
        buckets.take("a", 1.0, 0.0).unwrap();
        buckets.take("b", 10.0, 5.0).unwrap();
        buckets.forget_full(6.0);
        assert_eq!(buckets.len(), 1, "a has refilled, b has not");
    }
}
