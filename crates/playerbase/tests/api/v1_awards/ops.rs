//! Every op and bound, through the single-player award route.

use axum::http::StatusCode;
use serde_json::json;

use super::Game;

#[tokio::test]
async fn add_accumulates_and_answers_every_stat_after() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let first = g.award(id, json!({"meleeAtkXp": 50, "shieldXp": 7})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["player_id"], id);
    assert_eq!(first.body["stats"]["meleeAtkXp"], 50);
    assert_eq!(first.body["stats"]["shieldXp"], 7);
    assert_eq!(first.body["stats"]["healthXp"], 0);
    assert_eq!(first.body["stats"].as_object().unwrap().len(), 10, "every configured stat");
    let second = g.award(id, json!({"meleeAtkXp": 40})).await;
    assert_eq!(second.body["stats"]["meleeAtkXp"], 90);
    let profile = g.t.get("/api/users/kicksent").await;
    assert_eq!(profile.body["stats"]["meleeAtkXp"], 90);
    assert_eq!(profile.body["stats"]["shieldXp"], 7, "the seed's route shows each stat's own value");
    assert_eq!(profile.body["levels"]["meleeAtkXp"], 2, "83 XP is level 2");
}

#[tokio::test]
async fn max_min_and_set_follow_their_rules() {
    let g = Game::with_every_op().await;
    let id = g.player("kicksent").await;
    let values = |r: &crate::support::Reply| {
        let s = &r.body["stats"];
        (s["best"].as_i64().unwrap(), s["fastest"].as_i64().unwrap(), s["level"].as_i64().unwrap())
    };
    let fresh = g.t.get(&format!("/api/v1/players/{id}")).await;
    assert_eq!(fresh.body["stats"]["level"], 1, "the configured default before the first award");
    let r = g.award(id, json!({"best": 5, "fastest": 90, "level": 3})).await;
    assert_eq!(values(&r), (5, 90, 3), "the first award is taken as it is");
    let r = g.award(id, json!({"best": 3, "fastest": 95, "level": 2})).await;
    assert_eq!(values(&r), (5, 90, 2), "max and min keep the better; set replaces");
    let r = g.award(id, json!({"best": 8, "fastest": 80})).await;
    assert_eq!(values(&r), (8, 80, 2));
}

#[tokio::test]
async fn bounds_and_overflow_are_422_and_apply_nothing() {
    let g = Game::with_every_op().await;
    let id = g.player("kicksent").await;
    assert_eq!(g.award(id, json!({"xp": 990})).await.status, StatusCode::OK);

    let cases = [json!({"xp": 11}), json!({"gold": 5, "xp": -991}), json!({"level": 11}), json!({"level": 0})];
    for stats in cases {
        let reply = g.award(id, stats.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{stats}");
        assert_eq!(reply.body["error"]["code"], "out_of_bounds");
    }
    assert_eq!(g.value(id, "xp").await, 990);
    assert_eq!(g.value(id, "gold").await, 0, "the gold before the bad xp was not applied either");
    assert_eq!(g.award(id, json!({"xp": 10})).await.body["stats"]["xp"], 1000, "max itself is allowed");

    assert_eq!(g.award(id, json!({"gold": i64::MAX})).await.status, StatusCode::OK);
    let overflow = g.award(id, json!({"gold": 1})).await;
    assert_eq!(overflow.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(overflow.body["error"]["message"].as_str().unwrap().contains("overflow"));
    assert_eq!(g.value(id, "gold").await, i64::MAX);
    assert_eq!(g.ledger_len(id).await, 3, "only applied awards are in the ledger");
}

#[tokio::test]
async fn malformed_awards_are_refused_before_anything_happens() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let cases = [
        (json!({"stats": {}}), StatusCode::BAD_REQUEST),
        (json!({"stats": {"meleeAtkXp": 1.5}}), StatusCode::BAD_REQUEST),
        (json!({"stats": {"meleeAtkXp": "5"}}), StatusCode::BAD_REQUEST),
        (json!({"stats": {"meleeAtkXp": 18446744073709551615u64}}), StatusCode::BAD_REQUEST),
        (json!({"stats": {"nope": 5}}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"stats": {"meleeAtkXp": 5}, "reason": "r".repeat(201)}), StatusCode::BAD_REQUEST),
        (json!({"stats": {"meleeAtkXp": 5}, "extra": true}), StatusCode::BAD_REQUEST),
        (json!({"stat": {"meleeAtkXp": 5}}), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let reply = g.award_with(&g.key, id, body.clone(), None).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
    }
    let auth = crate::support::bearer(&g.key);
    let twice = br#"{"stats": {"sizeXp": 1, "meleeAtkXp": 3, "sizeXp": 2}}"#.to_vec();
    let path = format!("/api/v1/players/{id}/awards");
    let reply = g.t.send_with(axum::http::Method::POST, &path, &[("authorization", auth.as_str())], Some(twice)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "a stat named twice: {}", reply.body);
    assert!(
        reply.body["error"]["message"].as_str().unwrap().contains("stats names \"sizeXp\" twice"),
        "{}",
        reply.body
    );
    assert_eq!(g.ledger_len(id).await, 0);
    let missing = g.award(id + 100, json!({"meleeAtkXp": 5})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "player_not_found");
}
