//! Several instances on one PostgreSQL database behave as one service:
//! leaderboards and live events follow every instance's awards.

use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::{Value, json};

use playerbase::domain::Scope;

use super::Game;
use super::events::EventStream;
use crate::support::{TestApp, bearer};
use crate::v1_accounts::api_key;

async fn board(t: &TestApp) -> Value {
    t.get("/api/v1/leaderboards/meleeAtkXp?limit=100").await.body
}

/// The other instance's board, once it equals `expected` (it follows within moments).
async fn eventually_equal(t: &TestApp, expected: &Value) {
    let started = Instant::now();
    loop {
        let seen = board(t).await;
        if &seen == expected {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the other instance shows {seen}, not {expected}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A game on PostgreSQL; none on SQLite (one server per database).
async fn game_on_postgres() -> Option<Game> {
    let g = Game::new().await;
    if !g.t.on_postgres() {
        eprintln!("one server per SQLite database: instances sharing one need PLAYERBASE_TEST_POSTGRES");
        return None;
    }
    Some(g)
}

/// A game on PostgreSQL, a second instance on its database, and players
/// alpha and bravo.
async fn two_instances() -> Option<(Game, TestApp, [i64; 2])> {
    let g = game_on_postgres().await?;
    let players = [g.player("alpha").await, g.player("bravo").await];
    let other = g.t.another_instance().await;
    Some((g, other, players))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leaderboards_and_live_events_follow_every_instances_awards() {
    let Some((g, other, [a, b])) = two_instances().await else { return };
    let mut live_on_other = EventStream::open_on(&other, None).await;

    g.award(a, json!({"meleeAtkXp": 50})).await;
    let here = board(&g.t).await;
    assert_eq!(here["entries"][0]["player_id"], a, "the writing instance shows its award as soon as it answers");
    eventually_equal(&other, &here).await;
    let event = live_on_other.next().await;
    assert_eq!(
        event.data,
        json!({"player_id": a, "username": "alpha", "stat": "meleeAtkXp", "amount": 50, "value": 50})
    );

    let body = json!({"stats": {"meleeAtkXp": 70}}).to_string().into_bytes();
    let through_other =
        other.send(Method::POST, &format!("/api/v1/players/{b}/awards"), Some(&bearer(&g.key)), Some(body)).await;
    assert_eq!(through_other.status, 200);
    let there = board(&other).await;
    assert_eq!(there["entries"][0]["player_id"], b);
    eventually_equal(&g.t, &there).await;
    assert_eq!(live_on_other.next().await.data["player_id"], b);

    let rank_here = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{a}")).await.body;
    let rank_there = other.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{a}")).await.body;
    assert_eq!(rank_here, rank_there);
    assert_eq!(rank_here["rank"], 2);
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_through_one_instance_leaves_every_instances_boards() {
    let Some((g, other, [a, b])) = two_instances().await else { return };
    g.award(a, json!({"meleeAtkXp": 50})).await;
    g.award(b, json!({"meleeAtkXp": 30})).await;
    eventually_equal(&other, &board(&g.t).await).await;

    let admin = api_key(&g.t, "ops", &[Scope::Admin]).await;
    let deleted = g.t.send(Method::DELETE, &format!("/api/v1/players/{a}"), Some(&bearer(&admin)), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let here = board(&g.t).await;
    assert_eq!(here["total"], 1, "{here}");
    assert_eq!(here["entries"][0]["player_id"], b);
    eventually_equal(&other, &here).await;
    for period in ["day", "week", "month"] {
        let path = format!("/api/v1/leaderboards/meleeAtkXp?period={period}");
        let there = other.get(&path).await.body;
        assert_eq!(there, g.t.get(&path).await.body, "the {period} boards differ");
        assert_eq!(there["total"], 1, "{there}");
    }
    let rank_there = other.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{b}")).await.body;
    assert_eq!(rank_there["rank"], 1, "{rank_there}");
    drop(other);
}

/// Clocks differ a little between machines. An instance ahead of midnight
/// already awards in the new day; one behind it that starts meanwhile must
/// still show those awards on the new day's board once its own midnight
/// comes (it loads the periods starting within minutes too). On SQLite the
/// second instance is a restart, which loads the same way.
#[tokio::test]
async fn a_new_days_board_holds_what_an_instance_ahead_of_midnight_awarded() {
    let g = Game::new().await;
    let set_to = |clock: &playerbase::Clock, at: i64| {
        clock.pause();
        clock.advance(at - clock.now());
    };
    let midnight = (g.t.state.clock.now() / 86_400 + 1) * 86_400;
    let player = g.player("early").await;
    set_to(&g.t.state.clock, midnight + 30);
    assert_eq!(g.award(player, json!({"meleeAtkXp": 5})).await.status, 200);

    let behind = playerbase::Clock::default();
    set_to(&behind, midnight - 30);
    let other = g.t.another_instance_at(behind.clone()).await;
    behind.advance(60);
    let day = other.get("/api/v1/leaderboards/meleeAtkXp?period=day").await.body;
    assert_eq!(day["total"], 1, "the new day's board misses the award made before this instance's midnight: {day}");
    assert_eq!(day["entries"][0]["player_id"], player);
}

/// Around midnight an instance ahead deletes a player that an instance
/// behind still shows on the day just ended there: the deletion takes it off
/// that board too, not only off the new day's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_just_after_midnight_leaves_the_day_board_of_an_instance_behind() {
    let Some(g) = game_on_postgres().await else { return };
    let set_to = |clock: &playerbase::Clock, at: i64| {
        clock.pause();
        clock.advance(at - clock.now());
    };
    let midnight = (g.t.state.clock.now() / 86_400 + 1) * 86_400;
    let [late, stays] = [g.player("late").await, g.player("stays").await];
    let behind = playerbase::Clock::default();
    set_to(&behind, midnight - 60);
    let other = g.t.another_instance_at(behind).await;
    for (player, xp) in [(late, 50), (stays, 20)] {
        let body = json!({"stats": {"meleeAtkXp": xp}}).to_string().into_bytes();
        let path = format!("/api/v1/players/{player}/awards");
        assert_eq!(other.send(Method::POST, &path, Some(&bearer(&g.key)), Some(body)).await.status, 200);
    }
    set_to(&g.t.state.clock, midnight + 60);
    assert_eq!(g.award(late, json!({"meleeAtkXp": 5})).await.status, 200, "the new day's award");

    let admin = api_key(&g.t, "ops", &[Scope::Admin]).await;
    let deleted = g.t.send(Method::DELETE, &format!("/api/v1/players/{late}"), Some(&bearer(&admin)), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let started = Instant::now();
    loop {
        let day = other.get("/api/v1/leaderboards/meleeAtkXp?period=day").await.body;
        if day["total"] == 1 {
            assert_eq!(day["entries"][0]["player_id"], stays, "{day}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the deleted player stays on the day board: {day}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(other);
}
