//! `GET /api/v1/players/{id}` answers from the profile directory in memory
//! where this server is the database's one writer (SQLite). Whatever
//! changes a profile must show on the very next read, on every backend.

use axum::http::{Method, StatusCode};
use playerbase::domain::Scope;
use playerbase::profiles::Lookup;
use serde_json::json;

use super::Game;
use crate::support::{TestApp, bearer};
use crate::v1_accounts::{api_key, create_player};

async fn profile_status(t: &TestApp, id: i64) -> StatusCode {
    t.get(&format!("/api/v1/players/{id}")).await.status
}

/// The directory's answer (by id) must be byte for byte the store's (by name).
async fn assert_same_as_the_store(t: &TestApp, id: i64, username: &str) {
    let by_id = t.get(&format!("/api/v1/players/{id}")).await;
    let by_name = t.get(&format!("/api/v1/players/by-name/{username}")).await;
    assert_eq!(by_id.status, StatusCode::OK, "{}", by_id.body);
    assert_eq!(
        String::from_utf8_lossy(&by_id.raw),
        String::from_utf8_lossy(&by_name.raw),
        "by id (directory) and by name (store) differ"
    );
}

#[tokio::test]
async fn awards_show_on_the_next_read_of_a_profile_already_read() {
    let g = Game::new().await;
    let id = g.player("alpha").await;
    for _ in 0..2 {
        // The first read comes from the store and is kept; the second from memory.
        assert_eq!(g.value(id, "meleeAtkXp").await, 0);
    }
    assert_eq!(g.award(id, json!({"meleeAtkXp": 5, "mageAtkXp": 7})).await.status, StatusCode::OK);
    assert_eq!((g.value(id, "meleeAtkXp").await, g.value(id, "mageAtkXp").await), (5, 7));

    let batch = json!({"awards": [
        {"player_id": id, "stat": "meleeAtkXp", "amount": 1_000_000},
        {"player_id": id, "stat": "speedXp", "amount": 3},
    ]});
    assert_eq!(g.batch(batch, None).await.status, StatusCode::OK);
    assert_eq!((g.value(id, "meleeAtkXp").await, g.value(id, "speedXp").await), (1_000_005, 3));
    // Levels follow the values, and the whole answer is the store's.
    assert_same_as_the_store(&g.t, id, "alpha").await;
}

#[tokio::test]
async fn the_directory_renders_exactly_what_the_store_renders() {
    let g = Game::new().await;
    let bot = api_key(&g.t, "bot", &[Scope::PlayersWrite]).await;
    let linked =
        create_player(&g.t, Some(&bearer(&bot)), json!({"username": "Linked_One", "twitch_user_id": "44429626"})).await;
    assert_eq!(linked.status, StatusCode::CREATED, "{}", linked.body);
    let linked = linked.body["id"].as_i64().unwrap();
    let plain = g.player("plain").await;
    g.award(linked, json!({"meleeAtkXp": 123_456, "healthXp": 9})).await;
    for (id, name) in [(linked, "Linked_One"), (plain, "plain")] {
        for _ in 0..2 {
            assert_same_as_the_store(&g.t, id, name).await;
        }
    }
}

#[tokio::test]
async fn a_deleted_player_is_gone_on_the_next_read() {
    let g = Game::new().await;
    let admin = api_key(&g.t, "ops", &[Scope::Admin]).await;
    let id = g.player("doomed").await;
    g.award(id, json!({"meleeAtkXp": 5})).await;
    assert_eq!(profile_status(&g.t, id).await, StatusCode::OK);
    assert_eq!(profile_status(&g.t, id).await, StatusCode::OK);
    let deleted = g.t.send(Method::DELETE, &format!("/api/v1/players/{id}"), Some(&bearer(&admin)), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(profile_status(&g.t, id).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn profiles_loaded_at_start_follow_awards_and_deletions() {
    let g = Game::new().await;
    let a = g.player("alpha").await;
    let b = g.player("bravo").await;
    g.award(a, json!({"meleeAtkXp": 40})).await;
    if g.t.on_postgres() {
        // Instances share the database, and another one's renames and
        // deletions are not announced: no directory, reads go to the store.
        let t = g.t.another_instance().await;
        assert!(matches!(t.state.profiles.lookup(a), Lookup::Unknown(_)));
        return;
    }
    // A restart: a new server on the same file (the first one stays idle).
    let t = g.t.another_instance().await;
    assert!(matches!(t.state.profiles.lookup(a), Lookup::Found(_)), "loaded at start, before any read");
    assert_same_as_the_store(&t, a, "alpha").await;
    assert_same_as_the_store(&t, b, "bravo").await;

    let award = t
        .send(
            Method::POST,
            &format!("/api/v1/players/{a}/awards"),
            Some(&bearer(&g.key)),
            Some(json!({"stats": {"meleeAtkXp": 2}}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(award.status, StatusCode::OK, "{}", award.body);
    assert_eq!(t.get(&format!("/api/v1/players/{a}")).await.body["stats"]["meleeAtkXp"], 42);

    let admin = api_key(&t, "ops", &[Scope::Admin]).await;
    assert_eq!(t.send(Method::DELETE, &format!("/api/v1/players/{b}"), Some(&bearer(&admin)), None).await.status, 204);
    assert_eq!(profile_status(&t, b).await, StatusCode::NOT_FOUND);
    assert!(matches!(t.state.profiles.lookup(b), Lookup::Unknown(_)));
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn awards_and_deletions_through_another_instance_show_on_the_next_read() {
    let g = Game::new().await;
    if !g.t.on_postgres() {
        eprintln!("one server per SQLite database: instances sharing one need PLAYERBASE_TEST_POSTGRES");
        return;
    }
    let a = g.player("alpha").await;
    let other = g.t.another_instance().await;
    assert_eq!(g.value(a, "meleeAtkXp").await, 0);
    let body = json!({"stats": {"meleeAtkXp": 70}}).to_string().into_bytes();
    let through_other =
        other.send(Method::POST, &format!("/api/v1/players/{a}/awards"), Some(&bearer(&g.key)), Some(body)).await;
    assert_eq!(through_other.status, StatusCode::OK, "{}", through_other.body);
    assert_eq!(g.value(a, "meleeAtkXp").await, 70, "committed before the other instance answered");

    let admin = api_key(&g.t, "ops", &[Scope::Admin]).await;
    let deleted = other.send(Method::DELETE, &format!("/api/v1/players/{a}"), Some(&bearer(&admin)), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(profile_status(&g.t, a).await, StatusCode::NOT_FOUND);
    drop(other);
}
