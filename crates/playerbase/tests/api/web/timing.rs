//! How long pages take to render at 100,000 players. Ignored by default
//! (importing the players takes a while); run it with
//! `cargo test -p playerbase --test api web::timing -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::{Visitor, app_with_players};

const PLAYERS: usize = 100_000;
const RUNS: usize = 30;

#[tokio::test]
#[ignore = "imports 100,000 players; run on purpose"]
async fn pages_stay_well_under_50_ms_at_100k_players() {
    let started = Instant::now();
    let t = app_with_players(PLAYERS).await;
    eprintln!("imported {PLAYERS} players and loaded the boards in {:?}", started.elapsed());
    let mut visitor = Visitor::new(&t);
    let pages = [
        "/",
        "/leaderboards/meleeAtkXp",
        "/leaderboards/meleeAtkXp?page=2000",
        "/players/p50000",
        "/overlay/leaderboard/meleeAtkXp?limit=10",
    ];
    for page in pages {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let at = Instant::now();
            let reply = visitor.get(page).await;
            times.push(at.elapsed());
            assert_eq!(reply.status, StatusCode::OK, "{page}");
        }
        times.sort();
        let (median, worst) = (times[RUNS / 2], times[RUNS - 1]);
        eprintln!("{page:45} median {median:>10.2?}  worst {worst:>10.2?}");
        assert!(median < Duration::from_millis(50), "{page} took {median:?}");
    }
}
