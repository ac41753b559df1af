//! Leaderboards: ranks with ties, neighbours, periods.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Game;

fn entries(board: &Value) -> Vec<(u64, i64, i64)> {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["rank"].as_u64().unwrap(), e["player_id"].as_i64().unwrap(), e["value"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn ranks_count_strictly_better_players_and_ties_list_by_id() {
    let g = Game::new().await;
    let mut ids = Vec::new();
    for (name, xp) in [("a", 100), ("b", 300), ("c", 100), ("d", 50), ("e", 300)] {
        let id = g.player(name).await;
        g.award(id, json!({"meleeAtkXp": xp})).await;
        ids.push(id);
    }
    let nobody = g.player("nobody").await;
    let board = g.t.get("/api/v1/leaderboards/meleeAtkXp?limit=10").await;
    assert_eq!(board.status, StatusCode::OK);
    assert_eq!(board.body["stat"], "meleeAtkXp");
    assert_eq!(board.body["period"], "all");
    assert_eq!(board.body["total"], 5, "a player without an award is not on the board");
    assert_eq!(
        entries(&board.body),
        [(1, ids[1], 300), (1, ids[4], 300), (3, ids[0], 100), (3, ids[2], 100), (5, ids[3], 50)]
    );
    assert_eq!(board.body["entries"][0]["username"], "b");

    let page = g.t.get("/api/v1/leaderboards/meleeAtkXp?limit=2&offset=3").await;
    assert_eq!(
        entries(&page.body),
        [(3, ids[2], 100), (5, ids[3], 50)],
        "a page's first rank counts the players above it"
    );

    let around = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{}?radius=1", ids[2])).await;
    assert_eq!(around.status, StatusCode::OK);
    assert_eq!((around.body["rank"].as_u64(), around.body["value"].as_i64()), (Some(3), Some(100)));
    assert_eq!(entries(&around.body), [(3, ids[0], 100), (3, ids[2], 100), (5, ids[3], 50)]);
    let top = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{}?radius=2", ids[1])).await;
    assert_eq!(
        entries(&top.body),
        [(1, ids[1], 300), (1, ids[4], 300), (3, ids[0], 100)],
        "no neighbours above the first"
    );

    let unranked = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{nobody}")).await;
    assert_eq!(unranked.status, StatusCode::NOT_FOUND);
    assert_eq!(unranked.body["error"]["code"], "not_ranked");
    let unknown = g.t.get("/api/v1/leaderboards/meleeAtkXp/players/9999").await;
    assert_eq!(unknown.body["error"]["code"], "player_not_found");
}

#[tokio::test]
async fn min_stats_rank_the_lowest_first() {
    let g = Game::with_every_op().await;
    let fast = g.player("fast").await;
    let slow = g.player("slow").await;
    g.award(slow, json!({"fastest": 90})).await;
    g.award(fast, json!({"fastest": 60})).await;
    let board = g.t.get("/api/v1/leaderboards/fastest").await;
    assert_eq!(entries(&board.body), [(1, fast, 60), (2, slow, 90)]);
}

#[tokio::test]
async fn bad_requests_to_boards() {
    let g = Game::new().await;
    let id = g.player("a").await;
    let unknown = g.t.get("/api/v1/leaderboards/nope").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["error"]["code"], "unknown_stat");
    for query in ["period=year", "limit=0", "limit=1001", "offset=-1"] {
        let reply = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let radius = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp/players/{id}?radius=101")).await;
    assert_eq!(radius.status, StatusCode::BAD_REQUEST);
    let empty = g.t.get("/api/v1/leaderboards/meleeAtkXp?period=stream").await;
    assert_eq!((empty.body["total"].clone(), empty.body["entries"].clone()), (json!(0), json!([])), "no stream yet");
}

#[tokio::test]
async fn periods_hold_only_their_own_awards() {
    let g = Game::with_every_op().await;
    let a = g.player("a").await;
    let b = g.player("b").await;
    g.award(a, json!({"gold": 100, "best": 9})).await;
    g.award(b, json!({"gold": 30})).await;
    for period in ["all", "day", "week", "month"] {
        let board = g.t.get(&format!("/api/v1/leaderboards/gold?period={period}")).await;
        assert_eq!(board.body["period"], period);
        assert_eq!(entries(&board.body), [(1, a, 100), (2, b, 30)], "{period}");
    }

    g.t.state.clock.advance(40 * 86_400);
    g.award(b, json!({"gold": 20, "best": 4})).await;
    let all = g.t.get("/api/v1/leaderboards/gold").await;
    assert_eq!(entries(&all.body), [(1, a, 100), (2, b, 50)]);
    for period in ["day", "week", "month"] {
        let board = g.t.get(&format!("/api/v1/leaderboards/gold?period={period}")).await;
        assert_eq!(entries(&board.body), [(1, b, 20)], "{period}: the period's sum, only this period's players");
        assert_eq!(board.body["total"], 1);
        let best = g.t.get(&format!("/api/v1/leaderboards/best?period={period}")).await;
        assert_eq!(entries(&best.body), [(1, b, 4)], "{period}: the best award in the period");
        let unranked = g.t.get(&format!("/api/v1/leaderboards/gold/players/{a}?period={period}")).await;
        assert_eq!(unranked.body["error"]["code"], "not_ranked");
    }
    assert_eq!(g.value(b, "best").await, 4, "all-time max keeps the better: 4 was the first award of best for b");
}

/// Random awards through the API against a brute-force model of API.md's rule.
#[tokio::test]
async fn ranks_match_a_brute_force_model_on_random_data() {
    let g = Game::with_every_op().await;
    let mut ids = Vec::new();
    for n in 0..30 {
        ids.push(g.player(&format!("p{n}")).await);
    }
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    let mut best = std::collections::HashMap::new();
    for _ in 0..120 {
        let id = ids[random(ids.len() as u64) as usize];
        let amount = random(20) as i64;
        g.award(id, json!({"best": amount})).await;
        let entry = best.entry(id).or_insert(amount);
        *entry = (*entry).max(amount);
    }
    let mut model: Vec<(u64, i64, i64)> =
        best.iter().map(|(&id, &v)| (1 + best.values().filter(|&&o| o > v).count() as u64, id, v)).collect();
    model.sort();
    let board = g.t.get("/api/v1/leaderboards/best?limit=100").await;
    assert_eq!(entries(&board.body), model);
    for (i, &(rank, id, value)) in model.iter().enumerate() {
        let around = g.t.get(&format!("/api/v1/leaderboards/best/players/{id}?radius=3")).await;
        assert_eq!((around.body["rank"].as_u64().unwrap(), around.body["value"].as_i64().unwrap()), (rank, value));
        let lo = i.saturating_sub(3);
        let hi = (i + 4).min(model.len());
        assert_eq!(entries(&around.body), model[lo..hi].to_vec(), "neighbours of {id}");
    }
}

#[tokio::test]
async fn boards_are_rebuilt_from_the_database_at_start() {
    let g = Game::new().await;
    let a = g.player("a").await;
    let b = g.player("b").await;
    g.award(a, json!({"meleeAtkXp": 5})).await;
    g.award(b, json!({"meleeAtkXp": 9})).await;
    let config = playerbase::Config { database: g.t.database.clone(), ..playerbase::Config::default() };
    let store = playerbase::store::open(&config.database).await.unwrap();
    let restarted = playerbase::AppState::start(config, store, playerbase::Clock::default()).await.unwrap();
    let (total, page) = restarted.boards.page("meleeAtkXp", playerbase::domain::PeriodKey::ALL_TIME, 0, 10);
    assert_eq!(total, 2);
    assert_eq!(page.iter().map(|s| (s.rank, s.player_id, s.value)).collect::<Vec<_>>(), [(1, b, 9), (2, a, 5)]);
    let day =
        playerbase::domain::periods::current_key(playerbase::domain::Period::Day, restarted.clock.now(), None).unwrap();
    assert_eq!(restarted.boards.total("meleeAtkXp", day), 2, "the running periods are rebuilt too");
}
