//! Many writers at once lose nothing.

use axum::http::StatusCode;
use serde_json::json;

use super::Game;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_clients_incrementing_one_stat_lose_no_update() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let clients = (0..16).map(|_| async {
        for _ in 0..25 {
            let reply = g.award(id, json!({"meleeAtkXp": 1})).await;
            assert_eq!(reply.status, StatusCode::OK);
        }
    });
    futures_util::future::join_all(clients).await;
    assert_eq!(g.value(id, "meleeAtkXp").await, 400);
    let ledger = g.t.get(&format!("/api/v1/players/{id}/awards?limit=1000")).await;
    let mut after: Vec<i64> =
        ledger.body["awards"].as_array().unwrap().iter().map(|a| a["value_after"].as_i64().unwrap()).collect();
    after.sort_unstable();
    assert_eq!(after, (1..=400).collect::<Vec<_>>(), "each award saw the one before it");
}
