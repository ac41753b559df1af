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

/// Two server processes on one database (SQLite file or PostgreSQL): their
/// award writers take turns, so no increment is lost between them either.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_lose_no_update() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let other = g.t.another_instance().await;
    let clients = (0..8).map(|n| {
        let (g, other) = (&g, &other);
        async move {
            for _ in 0..20 {
                let reply = if n % 2 == 0 {
                    g.award(id, json!({"meleeAtkXp": 1})).await
                } else {
                    let body = json!({"stats": {"meleeAtkXp": 1}}).to_string().into_bytes();
                    let auth = crate::support::bearer(&g.key);
                    let path = format!("/api/v1/players/{id}/awards");
                    other.send(axum::http::Method::POST, &path, Some(&auth), Some(body)).await
                };
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            }
        }
    });
    futures_util::future::join_all(clients).await;
    assert_eq!(g.value(id, "meleeAtkXp").await, 160);
    let ledger = g.t.get(&format!("/api/v1/players/{id}/awards?limit=1000")).await;
    let mut after: Vec<i64> =
        ledger.body["awards"].as_array().unwrap().iter().map(|a| a["value_after"].as_i64().unwrap()).collect();
    after.sort_unstable();
    assert_eq!(after, (1..=160).collect::<Vec<_>>(), "each award saw the one before it, whichever instance wrote it");
    drop(other);
}

/// The writer commits the next group while the one before is still being
/// put on the boards: an answer must still wait until its own awards show,
/// on the board and the profile alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answered_award_already_shows_while_other_groups_commit() {
    let g = Game::new().await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(g.player(&format!("viewer{n}")).await);
    }
    let clients = ids.iter().map(|&id| {
        let g = &g;
        async move {
            for n in 1..=15 {
                let reply = g.award(id, json!({"meleeAtkXp": 1})).await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                assert_eq!(g.value(id, "meleeAtkXp").await, n, "the profile of player {id} after award {n}");
                let board = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{id}?radius=0")).await;
                let shown = board.body["value"].as_i64();
                assert_eq!(shown, Some(n), "the board's value of player {id} after award {n}: {}", board.body);
            }
        }
    });
    futures_util::future::join_all(clients).await;
}
