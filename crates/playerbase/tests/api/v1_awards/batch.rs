//! The batch route: up to 10,000 awards, all or nothing.

use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::{Value, json};

use super::Game;
use crate::support::bearer;
use crate::v1_accounts::{api_key, create_player};

fn awards(list: impl IntoIterator<Item = (i64, &'static str, i64)>) -> Value {
    let list: Vec<Value> =
        list.into_iter().map(|(id, stat, amount)| json!({"player_id": id, "stat": stat, "amount": amount})).collect();
    json!({"awards": list, "reason": "raid"})
}

#[tokio::test]
async fn ten_thousand_awards_apply_together() {
    let g = Game::new().await;
    let ids = [g.player("a").await, g.player("b").await, g.player("c").await];
    let list = (0..10_000).map(|n| (ids[n % 3], if n % 2 == 0 { "meleeAtkXp" } else { "speedXp" }, 1 + (n as i64 % 5)));
    let expected: Vec<(i64, &str, i64)> = list.clone().collect();
    let reply = g.batch(awards(list), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"applied": 10_000}));
    for id in ids {
        for stat in ["meleeAtkXp", "speedXp"] {
            let sum: i64 = expected.iter().filter(|(p, s, _)| *p == id && *s == stat).map(|(_, _, a)| a).sum();
            assert_eq!(g.value(id, stat).await, sum, "{id} {stat}");
        }
    }
}

#[tokio::test]
async fn one_bad_award_in_ten_thousand_applies_none() {
    let g = Game::with_every_op().await;
    let ids = [g.player("a").await, g.player("b").await];
    let mut list: Vec<(i64, &str, i64)> = (0..9_999).map(|n| (ids[n % 2], "gold", 1)).collect();
    list.push((ids[1], "xp", 1001));
    let out_of_bounds = g.batch(awards(list.clone()), None).await;
    assert_eq!(out_of_bounds.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(out_of_bounds.body["error"]["code"], "out_of_bounds");

    list.pop();
    list.push((ids[1] + 1000, "gold", 1));
    let unknown_player = g.batch(awards(list.clone()), None).await;
    assert_eq!(unknown_player.status, StatusCode::NOT_FOUND);

    list.pop();
    list.push((ids[1], "nope", 1));
    assert_eq!(g.batch(awards(list), None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ids {
        assert_eq!(g.value(id, "gold").await, 0);
        assert_eq!(g.ledger_len(id).await, 0);
    }
}

#[tokio::test]
async fn limits_of_a_batch() {
    let g = Game::new().await;
    let id = g.player("a").await;
    let too_many = g.batch(awards((0..10_001).map(|_| (id, "meleeAtkXp", 1))), None).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_many.body["error"]["code"], "too_many_awards");

    let padding = "x".repeat(2 * 1024 * 1024);
    let huge = g.batch(json!({"awards": [], "reason": padding}), None).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);

    let neither = g.batch(json!({"awards": [{"stat": "meleeAtkXp", "amount": 1}]}), None).await;
    assert_eq!(neither.status, StatusCode::BAD_REQUEST);
    let both = g
        .batch(json!({"awards": [{"player_id": id, "twitch_user_id": "1", "stat": "meleeAtkXp", "amount": 1}]}), None)
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert_eq!(g.batch(json!({"awards": []}), None).await.body, json!({"applied": 0}));
    assert_eq!(g.value(id, "meleeAtkXp").await, 0);
}

#[tokio::test]
async fn awards_can_name_players_by_twitch_user_id() {
    let g = Game::new().await;
    let bot = api_key(&g.t, "twitch-bot", &[Scope::PlayersWrite]).await;
    let viewer =
        create_player(&g.t, Some(&bearer(&bot)), json!({"username": "viewer", "twitch_user_id": "44429626"})).await;
    assert_eq!(viewer.status, StatusCode::CREATED, "{}", viewer.body);
    let id = viewer.body["id"].as_i64().unwrap();
    let reply = g
        .batch(json!({"awards": [{"twitch_user_id": "44429626", "stat": "meleeAtkXp", "amount": 25}, {"player_id": id, "stat": "meleeAtkXp", "amount": 5}]}), None)
        .await;
    assert_eq!(reply.body, json!({"applied": 2}));
    assert_eq!(g.value(id, "meleeAtkXp").await, 30);
    let unknown =
        g.batch(json!({"awards": [{"twitch_user_id": "999", "stat": "meleeAtkXp", "amount": 1}]}), None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body["error"]["message"].as_str().unwrap().contains("999"));
}
