//! Live API keys seen recently. A game server sends its key with every
//! award; reading it from the database each time was a round trip to a
//! reader thread per request. A key revoked meanwhile (by `playerbase
//! api-key revoke`, another process) stops working within [`FRESH_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::token::TokenHash;
use crate::store::{ApiKeyRecord, Store, StoreResult};

pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Only keys the database found live are kept: unknown keys cannot fill it.
#[derive(Default)]
pub struct ApiKeyCache {
    live: Mutex<HashMap<TokenHash, (ApiKeyRecord, Instant)>>,
}

impl ApiKeyCache {
    pub async fn live(&self, store: &dyn Store, hash: TokenHash) -> StoreResult<Option<ApiKeyRecord>> {
        if let Some((key, read_at)) = self.live.lock().expect("not poisoned").get(&hash)
            && read_at.elapsed() < FRESH_FOR
        {
            return Ok(Some(key.clone()));
        }
        let found = store.live_api_key(&hash).await?;
        let mut live = self.live.lock().expect("not poisoned");
        match &found {
            Some(key) => live.insert(hash, (key.clone(), Instant::now())),
            None => live.remove(&hash),
        };
        Ok(found)
    }
}
