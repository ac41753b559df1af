//! Idempotency-Key: the same request again answers the first answer and
//! applies nothing twice.

use axum::http::StatusCode;
use playerbase::domain::Scope;
use serde_json::json;

use super::Game;
use crate::v1_accounts::api_key;

#[tokio::test]
async fn a_retry_answers_the_first_answer_and_applies_nothing_again() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let body = json!({"stats": {"meleeAtkXp": 10}, "reason": "quest"});
    let first = g.award_with(&g.key, id, body.clone(), Some("retry-1")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(g.award(id, json!({"meleeAtkXp": 5})).await.body["stats"]["meleeAtkXp"], 15);

    let retry = g.award_with(&g.key, id, body.clone(), Some("retry-1")).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body, first.body, "the first answer, not a new one");
    assert_eq!(retry.body["stats"]["meleeAtkXp"], 10);
    assert_eq!(g.value(id, "meleeAtkXp").await, 15);
    assert_eq!(g.ledger_len(id).await, 2);

    g.t.state.clock.advance(25 * 3600);
    let next_day = g.award_with(&g.key, id, body, Some("retry-1")).await;
    assert_eq!(next_day.body, first.body, "keys are kept at least 24 hours");
    assert_eq!(g.value(id, "meleeAtkXp").await, 15);
}

#[tokio::test]
async fn another_body_under_the_same_key_is_409() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let other = g.player("other").await;
    g.award_with(&g.key, id, json!({"stats": {"meleeAtkXp": 10}}), Some("k")).await;
    let changed = g.award_with(&g.key, id, json!({"stats": {"meleeAtkXp": 11}}), Some("k")).await;
    assert_eq!(changed.status, StatusCode::CONFLICT);
    assert_eq!(changed.body["error"]["code"], "idempotency_key_reused");
    let elsewhere = g.award_with(&g.key, other, json!({"stats": {"meleeAtkXp": 10}}), Some("k")).await;
    assert_eq!(elsewhere.status, StatusCode::CONFLICT, "the same body for another player is another request");
    let batch = g.batch(json!({"awards": [{"player_id": id, "stat": "meleeAtkXp", "amount": 10}]}), Some("k")).await;
    assert_eq!(batch.status, StatusCode::CONFLICT);
    assert_eq!(g.value(id, "meleeAtkXp").await, 10);
    assert_eq!(g.value(other, "meleeAtkXp").await, 0);
}

#[tokio::test]
async fn keys_are_scoped_to_the_api_key_and_must_be_well_formed() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let second_key = api_key(&g.t, "second-server", &[Scope::AwardsWrite]).await;
    let body = json!({"stats": {"meleeAtkXp": 10}});
    g.award_with(&g.key, id, body.clone(), Some("shared")).await;
    let other_key = g.award_with(&second_key, id, body.clone(), Some("shared")).await;
    assert_eq!(other_key.body["stats"]["meleeAtkXp"], 20, "another API key's key is another key");

    for bad in ["", &"k".repeat(256), "has space", "tab\there"] {
        let reply = g.award_with(&g.key, id, body.clone(), Some(bad)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(reply.body["error"]["code"], "invalid_idempotency_key");
    }
    assert_eq!(g.value(id, "meleeAtkXp").await, 20);
}

#[tokio::test]
async fn a_refusal_is_an_answer_too() {
    let g = Game::with_every_op().await;
    let id = g.player("kicksent").await;
    let too_much = json!({"stats": {"xp": 1001}});
    let first = g.award_with(&g.key, id, too_much.clone(), Some("k")).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = g.award_with(&g.key, id, too_much, Some("k")).await;
    assert_eq!((again.status, again.body), (first.status, first.body));
}

#[tokio::test]
async fn concurrent_retries_with_one_key_apply_once() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let body = json!({"stats": {"meleeAtkXp": 7}});
    let attempts = (0..12).map(|_| g.award_with(&g.key, id, body.clone(), Some("storm")));
    let replies = futures_util::future::join_all(attempts).await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, replies[0].body);
    }
    assert_eq!(g.value(id, "meleeAtkXp").await, 7);
    assert_eq!(g.ledger_len(id).await, 1);

    let batch = json!({"awards": [{"player_id": id, "stat": "mageAtkXp", "amount": 3}]});
    let attempts = (0..12).map(|_| g.batch(batch.clone(), Some("batch-storm")));
    let replies = futures_util::future::join_all(attempts).await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK && r.body == json!({"applied": 1})));
    assert_eq!(g.value(id, "mageAtkXp").await, 3);
}

/// A client that builds its JSON again for the retry (another library,
/// other spacing, other key order) sends the same request.
#[tokio::test]
async fn a_retry_spelled_differently_is_the_same_request() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let send = |path: String, body: &'static str| {
        let auth = crate::support::bearer(&g.key);
        let key = if path.ends_with("/api/v1/awards") { "respelled-batch" } else { "respelled" };
        let g = &g;
        async move {
            let headers = [("authorization", auth.as_str()), ("idempotency-key", key)];
            let body = body.replace("ID", &id.to_string()).into_bytes();
            g.t.send_with(axum::http::Method::POST, &path, &headers, Some(body)).await
        }
    };
    let single = format!("/api/v1/players/{id}/awards");
    let first = send(single.clone(), r#"{"stats":{"meleeAtkXp":10,"shieldXp":1},"reason":"quest"}"#).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let retry =
        send(single.clone(), "{ \"reason\" : \"quest\",\n  \"stats\" : { \"shieldXp\" : 1, \"meleeAtkXp\" : 10 } }")
            .await;
    assert_eq!((retry.status, &retry.body), (StatusCode::OK, &first.body));
    let other = send(single, r#"{"stats":{"meleeAtkXp":10,"shieldXp":1},"reason":"quest 2"}"#).await;
    assert_eq!(other.status, StatusCode::CONFLICT, "another reason is another request");
    assert_eq!(g.value(id, "meleeAtkXp").await, 10);

    let batch =
        r#"{"awards":[{"player_id":ID,"stat":"blockXp","amount":3},{"stat":"blockXp","amount":4,"player_id":ID}]}"#;
    let respelled = "{\"awards\": [ {\"amount\": 3, \"stat\": \"blockXp\", \"player_id\": ID},\n {\"player_id\": ID, \"stat\": \"blockXp\", \"amount\": 4} ] }";
    let batches = "/api/v1/awards".to_owned();
    let first = send(batches.clone(), batch).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let retry = send(batches, respelled).await;
    assert_eq!((retry.status, &retry.body), (StatusCode::OK, &first.body));
    assert_eq!(g.value(id, "blockXp").await, 7);
}

/// An answer stored by a server before requests were compared by their
/// awards (its hash is of the body's bytes) is still the first answer to
/// the same bytes, for the 48 hours it is kept.
#[tokio::test]
async fn an_answer_stored_by_the_earlier_servers_is_still_replayed() {
    use sha2::{Digest, Sha256};
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let body = format!(r#"{{"awards":[{{"player_id":{id},"stat":"blockXp","amount":3}}]}}"#);
    let old_hash = Sha256::new().chain_update(b"awards").chain_update([0]).chain_update(body.as_bytes()).finalize();
    let db = g.t.db().await;
    let owner: i64 =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE name = 'game-server'").fetch_one(&db).await.unwrap();
    sqlx::query(
        "INSERT INTO idempotency_keys (owner, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(owner)
    .bind("before-the-upgrade")
    .bind(old_hash.to_vec())
    .bind(200i64)
    .bind(r#"{"applied":1}"#)
    .bind(g.t.state.clock.now())
    .execute(&db)
    .await
    .unwrap();
    let auth = crate::support::bearer(&g.key);
    let headers = [("authorization", auth.as_str()), ("idempotency-key", "before-the-upgrade")];
    let retry = g.t.send_with(axum::http::Method::POST, "/api/v1/awards", &headers, Some(body.into_bytes())).await;
    assert_eq!((retry.status, &retry.body), (StatusCode::OK, &json!({"applied": 1})), "the stored answer");
    assert_eq!(g.value(id, "blockXp").await, 0, "applied nothing");
}
