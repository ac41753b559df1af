//! `playerbase backup` while awards are being written, and a restore of it.

use std::path::Path;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::support::TestApp;
use crate::v1_awards::Game;

const STATS: [&str; 3] = ["meleeAtkXp", "shieldXp", "speedXp"];

async fn ledger_rows(t: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM ledger").fetch_one(&t.db().await).await.unwrap()
}

/// Every stored value of the backup equals the sum of its ledger rows, and every ledger pair has a value.
async fn assert_consistent(backup: &Path) -> i64 {
    let db = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", backup.display())).await.unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&db).await.unwrap();
    assert_eq!(integrity, "ok");
    let pairs: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT l.player_id, l.stat, SUM(l.amount), \
                (SELECT value FROM player_stats s WHERE s.player_id = l.player_id AND s.stat = l.stat) \
         FROM ledger l GROUP BY l.player_id, l.stat",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    for (player, stat, sum, value) in &pairs {
        assert_eq!(Some(*sum), *value, "player {player} {stat}: the ledger sums to {sum}, the stat holds {value:?}");
    }
    let values: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM player_stats").fetch_one(&db).await.unwrap();
    assert_eq!(values as usize, pairs.len(), "no value without its ledger rows");
    let day_mismatch: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM period_stats p WHERE p.kind = 'day' AND p.value != \
         (SELECT SUM(amount) FROM ledger l \
         WHERE l.player_id = p.player_id AND l.stat = p.stat AND l.at >= p.starts_at)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(day_mismatch, 0, "the running periods match the ledger too");
    let rows = sqlx::query_scalar("SELECT COUNT(*) FROM ledger").fetch_one(&db).await.unwrap();
    db.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_awards_are_written_is_consistent_and_restores() {
    let g = Game::new().await;
    // `playerbase backup` is SQLite's; PostgreSQL is backed up with pg_dump.
    let Some(db_path) = g.t.sqlite_path() else { return };
    let mut players = Vec::new();
    for name in ["ann", "bob", "cy", "dee"] {
        players.push(g.player(name).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    const CLIENTS: usize = 8;
    const EACH: usize = 60;

    let clients = (0..CLIENTS).map(|client| {
        let players = &players;
        let g = &g;
        async move {
            for i in 0..EACH {
                let stat = STATS[(client + i) % STATS.len()];
                let reply = if i % 5 == 0 {
                    let awards: Vec<_> =
                        players.iter().map(|p| json!({"player_id": p, "stat": stat, "amount": i + 1})).collect();
                    g.batch(json!({"awards": awards}), None).await
                } else {
                    g.award(players[(client + i) % players.len()], json!({stat: i + 1})).await
                };
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            }
        }
    });
    let take_backup = async {
        while ledger_rows(&g.t).await < 40 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let database = db_path.to_str().unwrap();
        playerbase::commands::backup::run(&*g.t.state.store, database, &backup).await.unwrap();
        let err = playerbase::commands::backup::run(&*g.t.state.store, database, &backup).await.unwrap_err();
        assert!(err.to_string().contains("never overwrites"), "{err}");
    };
    tokio::join!(futures_util::future::join_all(clients), take_backup);

    let in_backup = assert_consistent(&backup).await;
    let total = ledger_rows(&g.t).await;
    assert!(in_backup >= 40 && in_backup < total, "the backup caught awards under way: {in_backup} of {total} rows");

    // Restored: the server starts on it and serves what it holds.
    let restored = TestApp::restored_from(&backup).await;
    let db = restored.db().await;
    for &player in &players {
        let profile = restored.get(&format!("/api/v1/players/{player}")).await;
        assert_eq!(profile.status, StatusCode::OK);
        for stat in STATS {
            let sum: Option<i64> =
                sqlx::query_scalar("SELECT SUM(amount) FROM ledger WHERE player_id = $1 AND stat = $2")
                    .bind(player)
                    .bind(stat)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            assert_eq!(profile.body["stats"][stat].as_i64(), Some(sum.unwrap_or(0)), "{stat} of {player}");
        }
    }
    let board = restored.get("/api/v1/leaderboards/meleeAtkXp").await;
    assert_eq!(board.status, StatusCode::OK);
    let on_board: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM player_stats WHERE stat = 'meleeAtkXp'").fetch_one(&db).await.unwrap();
    assert_eq!(board.body["total"].as_i64(), Some(on_board));
    crate::v1_accounts::login(&restored, "ann").await;
    let more = restored.register("newcomer", "python3x").await;
    assert!(more > players[3], "ids go on after the restored ones");
}
