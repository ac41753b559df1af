//! The award ledger: every applied award, newest first, with its source.

use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::json;

use super::Game;
use crate::v1_accounts::api_key;

#[tokio::test]
async fn the_ledger_records_amount_value_after_source_and_reason_newest_first() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let other_key = api_key(&g.t, "chat-bot", &[Scope::AwardsWrite]).await;
    g.award_with(&g.key, id, json!({"stats": {"meleeAtkXp": 50}, "reason": "quest done"}), None).await;
    g.award_with(&other_key, id, json!({"stats": {"meleeAtkXp": -20}}), None).await;
    g.batch(json!({"awards": [{"player_id": id, "stat": "shieldXp", "amount": 3}], "reason": "raid"}), None).await;

    let page = g.t.get(&format!("/api/v1/players/{id}/awards")).await;
    assert_eq!(page.status, StatusCode::OK);
    let awards = page.body["awards"].as_array().unwrap();
    let summary: Vec<_> = awards
        .iter()
        .map(|a| {
            (
                a["stat"].as_str().unwrap(),
                a["amount"].as_i64().unwrap(),
                a["value_after"].as_i64().unwrap(),
                a["source"].as_str().unwrap(),
                a["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("shieldXp", 3, 3, "api:game-server", json!("raid")),
            ("meleeAtkXp", -20, 30, "api:chat-bot", json!(null)),
            ("meleeAtkXp", 50, 50, "api:game-server", json!("quest done")),
        ]
    );
    assert!(awards.windows(2).all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64()));
    assert!(awards[0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(page.body["next"], json!(null));
}

#[tokio::test]
async fn the_ledger_pages_with_before_and_next() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    for n in 1..=5 {
        g.award(id, json!({"meleeAtkXp": n})).await;
    }
    let first = g.t.get(&format!("/api/v1/players/{id}/awards?limit=2")).await;
    let amounts = |r: &crate::support::Reply| {
        r.body["awards"].as_array().unwrap().iter().map(|a| a["amount"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(amounts(&first), [5, 4]);
    let next = first.body["next"].as_i64().unwrap();
    let second = g.t.get(&format!("/api/v1/players/{id}/awards?limit=2&before={next}")).await;
    assert_eq!(amounts(&second), [3, 2]);
    let last = g.t.get(&format!("/api/v1/players/{id}/awards?limit=2&before={}", second.body["next"])).await;
    assert_eq!(amounts(&last), [1]);
    assert_eq!(last.body["next"], json!(null));

    assert_eq!(g.t.get(&format!("/api/v1/players/{id}/awards?limit=0")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(g.t.get(&format!("/api/v1/players/{id}/awards?limit=1001")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(g.t.get("/api/v1/players/999/awards").await.status, StatusCode::NOT_FOUND);
}

/// Pages from every possible `before`, of players whose awards interleave
/// (in one batch too), against the rows as the database lists them.
#[tokio::test]
async fn every_before_pages_like_the_rows_listed_by_id() {
    let g = Game::new().await;
    let ids = [g.player("ada").await, g.player("bob").await, g.player("cy").await];
    let stats = ["meleeAtkXp", "shieldXp"];
    let award = |n: usize| json!({"player_id": ids[n % 2], "stat": stats[n % 3 / 2], "amount": n});
    for round in 0..3 {
        let batch: Vec<_> = (round * 5..round * 5 + 5).map(award).collect();
        g.batch(json!({"awards": batch}), None).await;
        g.award(ids[0], json!({"speedXp": 1})).await;
    }
    let db = g.t.db().await;
    let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM ledger").fetch_one(&db).await.unwrap();
    for &id in &ids {
        let listed: Vec<i64> = sqlx::query_scalar("SELECT id FROM ledger WHERE player_id = $1 ORDER BY id DESC")
            .bind(id)
            .fetch_all(&db)
            .await
            .unwrap();
        for before in 0..=last + 1 {
            for limit in [1, 2, 100] {
                let page = g.t.get(&format!("/api/v1/players/{id}/awards?limit={limit}&before={before}")).await;
                let got: Vec<i64> =
                    page.body["awards"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
                let expected: Vec<i64> = listed.iter().copied().filter(|&row| row < before).take(limit).collect();
                assert_eq!(got, expected, "player {id}, before {before}, limit {limit}");
            }
        }
    }
}
