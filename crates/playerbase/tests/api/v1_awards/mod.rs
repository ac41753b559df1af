//! API v1: awards, the ledger, leaderboards and live events.

mod batch;
mod concurrency;
mod events;
mod idempotency;
mod instances;
mod keys;
mod leaderboards;
mod ledger;
mod ops;
mod three_instances;

use axum::http::Method;
use playerbase::Config;
use playerbase::domain::Scope;
use playerbase::domain::stats::StatSpec;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, bearer};
use crate::v1_accounts::{api_key, sign_up};

/// An app with a game server's awards key.
pub struct Game {
    pub t: TestApp,
    pub key: String,
}

impl Game {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let t = TestApp::with_config(config).await;
        let key = api_key(&t, "game-server", &[Scope::AwardsWrite]).await;
        Self { t, key }
    }

    /// A config whose stats cover every op, with bounds.
    pub async fn with_every_op() -> Self {
        let spec = |key: &str, op: &str, min: Option<i64>, max: Option<i64>, default: Option<i64>| {
            let op = serde_json::from_value(json!(op)).unwrap();
            StatSpec { key: key.into(), label: None, op, min, max, default, levels: None }
        };
        let stats = vec![
            spec("xp", "add", Some(0), Some(1000), None),
            spec("gold", "add", None, None, None),
            spec("best", "max", None, None, None),
            spec("fastest", "min", None, None, None),
            spec("level", "set", Some(1), Some(10), Some(1)),
        ];
        Self::with_config(Config { stats, ..Config::default() }).await
    }

    pub async fn player(&self, name: &str) -> i64 {
        sign_up(&self.t, name).await
    }

    pub async fn award(&self, player_id: i64, stats: Value) -> Reply {
        self.award_with(&self.key, player_id, json!({"stats": stats}), None).await
    }

    pub async fn award_with(&self, key: &str, player_id: i64, body: Value, idempotency: Option<&str>) -> Reply {
        let auth = bearer(key);
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend(idempotency.map(|k| ("idempotency-key", k)));
        let path = format!("/api/v1/players/{player_id}/awards");
        self.t.send_with(Method::POST, &path, &headers, Some(body.to_string().into_bytes())).await
    }

    pub async fn batch(&self, body: Value, idempotency: Option<&str>) -> Reply {
        let auth = bearer(&self.key);
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend(idempotency.map(|k| ("idempotency-key", k)));
        self.t.send_with(Method::POST, "/api/v1/awards", &headers, Some(body.to_string().into_bytes())).await
    }

    /// A stat's value as the public profile shows it.
    pub async fn value(&self, player_id: i64, stat: &str) -> i64 {
        let profile = self.t.get(&format!("/api/v1/players/{player_id}")).await;
        profile.body["stats"][stat].as_i64().unwrap_or_else(|| panic!("no {stat} in {}", profile.body))
    }

    pub async fn ledger_len(&self, player_id: i64) -> usize {
        let page = self.t.get(&format!("/api/v1/players/{player_id}/awards?limit=1000")).await;
        page.body["awards"].as_array().unwrap().len()
    }
}
