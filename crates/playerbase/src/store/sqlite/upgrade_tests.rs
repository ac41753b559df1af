//! Migrations on databases written before them. 0011: the ledger keeps
//! every player's rows in order, the running periods keep their values, and
//! ids go on above the last one ever handed out. 0015: EventSub times in
//! milliseconds.

use std::path::Path;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;

use super::SqliteStore;
use crate::domain::{Period, PeriodKey};
use crate::store::Store;
use crate::store::awards::NewLedgerRow;

const DAY: i64 = 200;
const OLD_DAY: i64 = 100;
const WEEK: i64 = 50;

/// A new database with the migrations numbered below `first_left_out`.
async fn migrated_before(path: &Path, first_left_out: &str) -> SqlitePool {
    let migrations = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_str().unwrap() < first_left_out {
            std::fs::copy(entry.path(), migrations.path().join(entry.file_name())).unwrap();
        }
    }
    let pool = SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
    Migrator::new(migrations.path()).await.unwrap().run(&pool).await.unwrap();
    pool
}

/// A database at migration 0010, with players 1–3 and a deleted one's rows.
async fn before_0011(path: &Path) {
    let pool = migrated_before(path, "0011").await;
    sqlx::raw_sql(&format!(
        "INSERT INTO players (id, username, username_key, created_at) VALUES (1, 'a', 'a', 0), (2, 'b', 'b', 0), (3, 'c', 'c', 0);
         INSERT INTO player_stats (player_id, stat, value) VALUES (1, 'meleeAtkXp', 7), (1, 'shieldXp', 2), (2, 'meleeAtkXp', 4);
         INSERT INTO ledger (player_id, stat, amount, value_after, source, at) VALUES
             (1, 'meleeAtkXp', 3, 3, 'api:x', 0), (2, 'meleeAtkXp', 4, 4, 'api:x', 0), (NULL, 'speedXp', 9, 9, 'api:x', 0),
             (1, 'shieldXp', 2, 2, 'api:x', 0), (1, 'meleeAtkXp', 4, 7, 'api:x', 0), (2, 'speedXp', 1, 1, 'api:x', 0);
         DELETE FROM ledger WHERE id = 6;
         INSERT INTO period_stats (kind, starts_at, player_id, stat, value) VALUES
             ('day', {OLD_DAY}, 1, 'meleeAtkXp', 3), ('day', {DAY}, 1, 'meleeAtkXp', 4), ('week', {WEEK}, 1, 'meleeAtkXp', 7),
             ('day', {DAY}, 2, 'meleeAtkXp', 4);"
    ))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn page(store: &SqliteStore, player_id: i64, before: Option<i64>) -> Vec<(i64, String, i64)> {
    let rows = store.ledger_page(player_id, before, 100).await.unwrap();
    rows.into_iter().map(|row| (row.id, row.stat, row.amount)).collect()
}

fn rows(list: &[(i64, &str, i64)]) -> Vec<(i64, String, i64)> {
    list.iter().map(|&(id, stat, amount)| (id, stat.to_owned(), amount)).collect()
}

#[tokio::test]
async fn the_ledger_and_the_running_periods_survive_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    before_0011(&path).await;
    let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();

    let player_1 = rows(&[(5, "meleeAtkXp", 4), (4, "shieldXp", 2), (1, "meleeAtkXp", 3)]);
    assert_eq!(page(&store, 1, None).await, player_1);
    assert_eq!(page(&store, 1, Some(5)).await, player_1[1..]);
    assert_eq!(page(&store, 1, Some(3)).await, player_1[2..], "a `before` that is another player's row");
    assert_eq!(page(&store, 2, None).await, rows(&[(2, "meleeAtkXp", 4)]));
    assert_eq!(page(&store, 3, None).await, []);

    let day = PeriodKey { period: Period::Day, starts_at: DAY };
    let week = PeriodKey { period: Period::Week, starts_at: WEEK };
    assert_eq!(store.stat_value(day, 1, "meleeAtkXp").await.unwrap(), Some(4));
    assert_eq!(store.stat_value(PeriodKey { starts_at: OLD_DAY, ..day }, 1, "meleeAtkXp").await.unwrap(), None);
    assert_eq!(store.stat_value(week, 1, "meleeAtkXp").await.unwrap(), Some(7));
    assert_eq!(store.stat_value(PeriodKey::ALL_TIME, 1, "shieldXp").await.unwrap(), Some(2));
    let mut board = Vec::new();
    store
        .board_snapshot(&[PeriodKey::ALL_TIME, day, week], &mut |period, stat, player_id, value| {
            board.push((period.period, stat.to_owned(), player_id, value))
        })
        .await
        .unwrap();
    board.sort();
    let expected = [
        (Period::All, "meleeAtkXp", 1, 7),
        (Period::All, "meleeAtkXp", 2, 4),
        (Period::All, "shieldXp", 1, 2),
        (Period::Day, "meleeAtkXp", 1, 4),
        (Period::Day, "meleeAtkXp", 2, 4),
        (Period::Week, "meleeAtkXp", 1, 7),
    ]
    .map(|(period, stat, player_id, value)| (period, stat.to_owned(), player_id, value));
    assert_eq!(board, expected);

    // The next rows: above the deleted id 6, chained to each player's last.
    let award = |player_id, amount| NewLedgerRow {
        player_id,
        stat: "meleeAtkXp".into(),
        amount,
        value_after: amount,
        source: "api:x".into(),
        reason: None,
        at: 0,
        twitch_message_id: None,
    };
    let mut tx = store.begin_write().await.unwrap();
    let ids = tx.insert_ledger(&[award(1, 10), award(3, 11), award(1, 12)]).await.unwrap();
    tx.write_values(PeriodKey::ALL_TIME, &[(1, "meleeAtkXp".into(), 19), (3, "meleeAtkXp".into(), 11)]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids, [7, 8, 9]);
    let mut newer = rows(&[(9, "meleeAtkXp", 12), (7, "meleeAtkXp", 10)]);
    newer.extend(player_1);
    assert_eq!(page(&store, 1, None).await, newer);
    assert_eq!(page(&store, 3, None).await, rows(&[(8, "meleeAtkXp", 11)]));
}

#[tokio::test]
async fn eventsub_times_become_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let pool = migrated_before(&path, "0015").await;
    sqlx::raw_sql(
        "INSERT INTO eventsub_messages (message_id, subscription_type, body, sent_at, received_at) \
             VALUES ('m1', 'channel.chat.message', '{}', 1700000000, 1700000001);
         INSERT INTO twitch_cooldowns (twitch_user_id, rule, last_at) VALUES ('751', 'chat', 1700000002);",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();

    let pending = store.pending_eventsub_messages(10).await.unwrap();
    assert_eq!(pending.iter().map(|m| m.sent_at_ms).collect::<Vec<_>>(), [1_700_000_000_000]);
    let mut tx = store.begin_write().await.unwrap();
    let key = ("751".to_owned(), "chat".to_owned());
    assert_eq!(tx.cooldowns(std::slice::from_ref(&key)).await.unwrap()[&key], 1_700_000_002_000);
}
