//! `DELETE /api/v1/players/{id}` with an admin key, and what deletion leaves.

use axum::http::{Method, StatusCode};
use playerbase::domain::Scope;
use serde_json::json;

use super::count;
use crate::support::{TestApp, bearer};
use crate::v1_accounts::{PASSWORD, api_key, create_player, login};
use crate::v1_awards::Game;

async fn delete(t: &TestApp, id: i64, auth: Option<&str>) -> crate::support::Reply {
    t.send(Method::DELETE, &format!("/api/v1/players/{id}"), auth, None).await
}

#[tokio::test]
async fn only_an_admin_key_deletes_a_player() {
    let g = Game::new().await;
    let id = g.player("kicksent").await;
    let admin = bearer(&api_key(&g.t, "ops", &[Scope::Admin]).await);
    let writer = bearer(&api_key(&g.t, "bot", &[Scope::PlayersWrite, Scope::AwardsWrite]).await);
    let session = login(&g.t, "kicksent").await;

    let anonymous = delete(&g.t, id, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let by_player = delete(&g.t, id, Some(&session.bearer())).await;
    assert_eq!((by_player.status, by_player.code()), (StatusCode::FORBIDDEN, "missing_scope"), "not even the player");
    let forbidden = delete(&g.t, id, Some(&writer)).await;
    assert_eq!((forbidden.status, forbidden.code()), (StatusCode::FORBIDDEN, "missing_scope"));
    assert_eq!(g.t.get(&format!("/api/v1/players/{id}")).await.status, StatusCode::OK);

    let deleted = delete(&g.t, id, Some(&admin)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.raw.is_empty());
    assert_eq!(g.t.get(&format!("/api/v1/players/{id}")).await.status, StatusCode::NOT_FOUND);
    let again = delete(&g.t, id, Some(&admin)).await;
    assert_eq!((again.status, again.code()), (StatusCode::NOT_FOUND, "player_not_found"));
    assert_eq!(delete(&g.t, 999, Some(&admin)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(g.t.get_as("/api/v1/me", &session.bearer()).await.status, StatusCode::UNAUTHORIZED, "sessions end");
}

/// Every value of every row of every table, as text (blobs as lossy UTF-8).
async fn every_value(t: &TestApp) -> Vec<(String, String)> {
    let db = t.db().await;
    let (tables_sql, columns_sql, cell_sql) = if t.on_postgres() {
        (
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            "SELECT convert_to(\"{column}\"::text, 'UTF8') FROM \"{table}\"",
        )
    } else {
        (
            "SELECT name FROM sqlite_master WHERE type = 'table'",
            "SELECT name FROM pragma_table_info($1)",
            "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\"",
        )
    };
    let tables: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(&db).await.unwrap();
    assert!(tables.len() >= 9, "{tables:?}");
    let mut values = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(columns_sql).bind(&table).fetch_all(&db).await.unwrap();
        for column in columns {
            let sql = cell_sql.replace("{column}", &column).replace("{table}", &table);
            let cells: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&sql).fetch_all(&db).await.unwrap();
            for cell in cells.into_iter().flatten() {
                values.push((format!("{table}.{column}"), String::from_utf8_lossy(&cell).into_owned()));
            }
        }
    }
    values
}

#[tokio::test]
async fn nothing_personal_remains_after_deletion_and_the_ledger_keeps_the_amounts() {
    let g = Game::new().await;
    let players_key = bearer(&api_key(&g.t, "linker", &[Scope::PlayersWrite]).await);
    let admin = bearer(&api_key(&g.t, "ops", &[Scope::Admin]).await);
    let body = json!({"username": "Zanzibar_Quux", "password": PASSWORD, "email": "zq.person@example.org",
                      "twitch_user_id": "987654321"});
    let created = create_player(&g.t, Some(&players_key), body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let db = g.t.db().await;
    sqlx::query("UPDATE players SET twitch_login = 'zq_twitch_login' WHERE id = $1")
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    let bystander = g.player("bystander").await;

    // Leave traces everywhere: sessions and tokens, stats, periods, ledger, idempotency answers.
    login(&g.t, "zanzibar_quux").await;
    g.t.token("zanzibar_quux", PASSWORD).await;
    g.award_with(&g.key, id, json!({"stats": {"meleeAtkXp": 40, "shieldXp": 2}}), Some("k1")).await;
    g.batch(
        json!({"awards": [{"twitch_user_id": "987654321", "stat": "meleeAtkXp", "amount": 2},
                              {"player_id": bystander, "stat": "meleeAtkXp", "amount": 1}]}),
        Some("k2"),
    )
    .await;
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM players WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    let personal = ["Zanzibar_Quux", "zanzibar_quux", "zq.person@example.org", "987654321", "zq_twitch_login", &hash];
    let before = every_value(&g.t).await;
    for needle in personal {
        assert!(before.iter().any(|(_, value)| value.contains(needle)), "the scan finds {needle:?} before deletion");
    }

    assert_eq!(delete(&g.t, id, Some(&admin)).await.status, StatusCode::NO_CONTENT);

    for (place, value) in every_value(&g.t).await {
        for needle in personal {
            assert!(!value.contains(needle), "{place} still holds {needle:?}: {value:?}");
        }
    }
    for table in ["sessions", "player_stats", "period_stats"] {
        assert_eq!(count(&g.t, &format!("{table} WHERE player_id = {id}")).await, 0, "{table}");
    }
    assert_eq!(count(&g.t, "tokens").await, 0, "only the deleted player had logged in");
    let orphaned: Vec<(String, i64, i64, String)> =
        sqlx::query_as("SELECT stat, amount, value_after, source FROM ledger WHERE player_id IS NULL ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    let expected = [("meleeAtkXp", 40, 40), ("shieldXp", 2, 2), ("meleeAtkXp", 2, 42)]
        .map(|(stat, amount, after)| (stat.to_owned(), amount, after, "api:game-server".to_owned()));
    assert_eq!(orphaned, expected, "the amounts stay, without the player");
    let board = g.t.get("/api/v1/leaderboards/meleeAtkXp").await.body;
    assert_eq!(board["total"], 1, "gone from the boards: {board}");
    assert_eq!(board["entries"][0]["player_id"], bystander);

    // On SQLite, not in the file either: deleted rows are overwritten
    // (secure_delete), once the WAL is checkpointed. (PostgreSQL's files are
    // the server's: VACUUM reclaims them in its own time.)
    let Some(path) = g.t.sqlite_path() else { return };
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&db).await.unwrap();
    let file = std::fs::read(&path).unwrap();
    for needle in ["Zanzibar_Quux", "zq.person@example.org", "zq_twitch_login"] {
        let found = file.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!found, "the database file still holds {needle:?}");
    }
}

/// Deletions racing awards still on their way to the boards: a commit shown
/// after the deletion took the player off must not put it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn players_deleted_while_awarded_leave_every_board() {
    let g = Game::new().await;
    let admin = bearer(&api_key(&g.t, "ops", &[Scope::Admin]).await);
    let mut ids = Vec::new();
    for n in 0..24 {
        ids.push(g.player(&format!("racer{n}")).await);
    }
    let races = ids.iter().enumerate().map(|(n, &id)| {
        let (g, admin) = (&g, &admin);
        async move {
            let awarding = futures_util::future::join_all((0..3).map(|_| async move {
                for _ in 0..6 {
                    let status = g.award(id, json!({"meleeAtkXp": 1})).await.status;
                    assert!(matches!(status, StatusCode::OK | StatusCode::NOT_FOUND), "{status}");
                }
            }));
            let deleting = async move {
                tokio::time::sleep(std::time::Duration::from_millis(n as u64 % 8)).await;
                assert_eq!(delete(&g.t, id, Some(admin)).await.status, StatusCode::NO_CONTENT);
            };
            tokio::join!(awarding, deleting);
        }
    });
    futures_util::future::join_all(races).await;
    for period in ["all", "day", "week", "month"] {
        let board = g.t.get(&format!("/api/v1/leaderboards/meleeAtkXp?period={period}")).await.body;
        assert_eq!(board["total"], 0, "{period}: {board}");
    }
}
