//! The embedded SQLite store: WAL, one writer connection, a pool of readers.

mod api_keys;
mod awards;
mod checkpoints;
mod direct;
mod ledger;
mod players;
mod sessions;
mod twitch;
mod twitch_logins;
mod values;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{
    AccountChange, AnnounceDeletion, ApiKeyRecord, ImportedPlayer, NewPlayer, NewToken, PlayerRecord, PublicProfileRow,
    Rotation, Store, StoreError, StoreResult, TokenKind, TokenOwner, TwitchLogin, TwitchLoginKind,
};
use crate::auth::token::TokenHash;
use crate::domain::{Email, PeriodKey, Scope, TwitchUserId, Username};
use crate::store::awards::{IdempotencyKey, LedgerRow, StoredReply, WriteTx};
use crate::store::known_addresses;
use crate::store::twitch::{NewEventSubMessage, PendingMessage, Revocation, Stream};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub struct SqliteStore {
    /// One connection: SQLite has one writer at a time anyway, and queueing
    /// here beats retrying on SQLITE_BUSY.
    writer: SqlitePool,
    readers: SqlitePool,
    checkpointer: checkpoints::Checkpointer,
}

/// Creates `file`, empty, readable by its owner alone; an error if it is
/// there. The database and its backups hold password hashes and emails;
/// SQLite gives its `-wal` and `-shm` files the database's permissions, and
/// `VACUUM INTO` writes into an empty file.
fn create_private(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file).map(drop)
}

/// [`create_private`] for a database that may already be there.
fn create_private_if_missing(file: &Path) -> std::io::Result<()> {
    match create_private(file) {
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

impl SqliteStore {
    pub async fn open(database: &str) -> anyhow::Result<Self> {
        Self::open_with(database, checkpoints::RESTART_AT_FRAMES).await
    }

    async fn open_with(database: &str, wal_restart_at_frames: i64) -> anyhow::Result<Self> {
        if let Ok(file) = crate::store::sqlite_file(database) {
            create_private_if_missing(&file).with_context(|| format!("cannot create {}", file.display()))?;
        }
        let options = if database.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(database).with_context(|| format!("invalid SQLite URL {database}"))?
        } else {
            SqliteConnectOptions::new().filename(database)
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Deleted rows are overwritten, not left in free pages: a deleted
        // player's name and email do not linger in the file or its backups.
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(10));

        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A local file does not drop connections; the default ping before
            // every query costs a round trip to SQLite's worker thread.
            .test_before_acquire(false)
            // Checkpoints are the checkpointer's (checkpoints.rs).
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .with_context(|| format!("cannot open SQLite database {database}"))?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(crate::store::newer_schema)
            .context("cannot migrate the SQLite database")?;
        let readers = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await
            .with_context(|| format!("cannot open SQLite database {database} for reading"))?;
        let checkpointer = checkpoints::Checkpointer::start(options, wal_restart_at_frames)
            .await
            .with_context(|| format!("cannot open SQLite database {database} for checkpoints"))?;
        Ok(Self { writer, readers, checkpointer })
    }

    /// The read-only pool, for tools that read the schema as a whole (`migrate-database`).
    pub fn reader_pool(&self) -> &SqlitePool {
        &self.readers
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_player(&self, player: NewPlayer) -> StoreResult<PlayerRecord> {
        players::create(&self.writer, player).await
    }

    async fn player_by_id(&self, id: i64) -> StoreResult<Option<PlayerRecord>> {
        players::by_id(&self.readers, id).await
    }

    async fn player_by_username(&self, username: &Username) -> StoreResult<Option<PlayerRecord>> {
        players::by_username(&self.readers, username).await
    }

    async fn list_usernames(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
        players::list_usernames(&self.readers, after, limit).await
    }

    async fn player_by_twitch_id(&self, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>> {
        players::by_twitch_id(&self.readers, twitch_user_id).await
    }

    async fn player_by_email(&self, email: &Email) -> StoreResult<Option<PlayerRecord>> {
        players::by_email(&self.readers, email).await
    }

    async fn update_account(&self, player_id: i64, change: AccountChange) -> StoreResult<()> {
        players::update_account(&self.writer, player_id, change).await
    }

    async fn replace_password_hash(&self, player_id: i64, old: &str, new: &str) -> StoreResult<bool> {
        players::replace_password_hash(&self.writer, player_id, old, new).await
    }

    async fn max_player_id_ever(&self) -> StoreResult<i64> {
        players::max_id_ever(&self.readers).await
    }

    async fn import_players(&self, players: &[ImportedPlayer], reason: &str, now: i64) -> StoreResult<()> {
        players::import(&self.writer, players, reason, now).await
    }

    async fn public_profiles(&self, each: &mut (dyn for<'r> FnMut(PublicProfileRow<'r>) + Send)) -> StoreResult<bool> {
        // One server per SQLite database: every change to a player goes through it.
        players::public_profiles(&self.readers, each).await?;
        Ok(true)
    }

    async fn delete_player(&self, player_id: i64, _now: i64, _announce: &AnnounceDeletion) -> StoreResult<bool> {
        // One server per SQLite database: nobody else to tell.
        players::delete(&self.writer, player_id).await
    }

    async fn create_session(
        &self,
        player_id: i64,
        checked_hash: Option<&str>,
        tokens: &[NewToken],
        now: i64,
    ) -> StoreResult<Option<i64>> {
        sessions::create(&self.writer, player_id, checked_hash, tokens, now).await
    }

    async fn token_owner(&self, hash: &TokenHash, kind: TokenKind, now: i64) -> StoreResult<Option<TokenOwner>> {
        sessions::token_owner(&self.readers, hash, kind, now).await
    }

    async fn rotate_refresh_token(&self, spent: &TokenHash, fresh: &[NewToken], now: i64) -> StoreResult<Rotation> {
        sessions::rotate_refresh(&self.writer, spent, fresh, now).await
    }

    async fn end_session(&self, session_id: i64) -> StoreResult<()> {
        sessions::end(&self.writer, session_id).await
    }

    async fn known_address(&self, username_key: &str, network: &str, now: i64) -> StoreResult<Option<i64>> {
        let mut conn = self.readers.acquire().await?;
        known_addresses::known_until::<sqlx::Sqlite>(&mut conn, username_key, network, now).await
    }

    async fn remember_address(&self, player_id: i64, network: &str, until: i64) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        known_addresses::remember::<sqlx::Sqlite>(&mut conn, player_id, network, until).await
    }

    async fn known_addresses_of(&self, player_id: i64) -> StoreResult<Vec<(String, i64)>> {
        let mut conn = self.readers.acquire().await?;
        known_addresses::of_player::<sqlx::Sqlite>(&mut conn, player_id).await
    }

    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<u64> {
        sessions::delete_expired(&self.writer, now).await
    }

    async fn link_twitch(&self, player_id: i64, twitch_user_id: &TwitchUserId, login: &str) -> StoreResult<bool> {
        twitch_logins::link(&self.writer, player_id, twitch_user_id, login).await
    }

    async fn put_twitch_login(&self, hash: &TokenHash, login: &TwitchLogin) -> StoreResult<()> {
        twitch_logins::put(&self.writer, hash, login).await
    }

    async fn take_twitch_login(
        &self,
        hash: &TokenHash,
        kind: TwitchLoginKind,
        now: i64,
    ) -> StoreResult<Option<TwitchLogin>> {
        twitch_logins::take(&self.writer, hash, kind, now).await
    }

    async fn delete_expired_twitch_logins(&self, now: i64) -> StoreResult<u64> {
        twitch_logins::delete_expired(&self.writer, now).await
    }

    async fn create_api_key(
        &self,
        name: &str,
        hash: &TokenHash,
        scopes: &[Scope],
        now: i64,
    ) -> StoreResult<ApiKeyRecord> {
        api_keys::create(&self.writer, name, hash, scopes, now).await
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        api_keys::list(&self.readers).await
    }

    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool> {
        api_keys::revoke(&self.writer, name, now).await
    }

    async fn live_api_key(&self, hash: &TokenHash) -> StoreResult<Option<ApiKeyRecord>> {
        api_keys::live_by_hash(&self.readers, hash).await
    }

    async fn begin_write(&self) -> StoreResult<Box<dyn WriteTx>> {
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(awards::SqliteWriteTx::new(tx)))
    }

    async fn ledger_page(&self, player_id: i64, before: Option<i64>, limit: u32) -> StoreResult<Vec<LedgerRow>> {
        ledger::page(&self.readers, player_id, before, limit).await
    }

    async fn ledger_tail(&self, after: i64, limit: u32) -> StoreResult<Vec<LedgerRow>> {
        ledger::tail(&self.readers, after, limit).await
    }

    async fn ledger_rows_between(&self, after: i64, before: i64, at_most: i64) -> StoreResult<i64> {
        crate::store::awards::ledger_rows_between(&self.readers, after, before, at_most).await
    }

    async fn last_ledger_id(&self) -> StoreResult<i64> {
        crate::store::awards::last_ledger_id(&self.readers).await
    }

    async fn stat_value(&self, period: PeriodKey, player_id: i64, stat: &str) -> StoreResult<Option<i64>> {
        awards::stat_value(&self.readers, period, player_id, stat).await
    }

    async fn board_snapshot(
        &self,
        periods: &[PeriodKey],
        each: &mut (dyn for<'s> FnMut(PeriodKey, &'s str, i64, i64) + Send),
    ) -> StoreResult<i64> {
        awards::board_snapshot(&self.readers, periods, each).await
    }

    async fn announcements_after(&self, _after: i64, _limit: u32) -> StoreResult<Vec<(i64, String)>> {
        Ok(Vec::new())
    }

    async fn listen_announcements(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<()>>> {
        Ok(None)
    }

    async fn delete_announcements_before(&self, _before: i64) -> StoreResult<u64> {
        Ok(0)
    }

    async fn usernames(&self, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
        awards::usernames(&self.readers, ids).await
    }

    async fn stored_reply(&self, key: &IdempotencyKey) -> StoreResult<Option<StoredReply>> {
        crate::store::awards::stored_reply(&self.readers, key).await
    }

    async fn delete_replies_before(&self, before: i64) -> StoreResult<u64> {
        awards::delete_replies_before(&self.writer, before).await
    }

    async fn save_eventsub_messages(&self, messages: &[NewEventSubMessage]) -> StoreResult<HashSet<String>> {
        twitch::save_messages(&self.writer, messages).await
    }

    async fn pending_eventsub_messages(&self, limit: u32) -> StoreResult<Vec<PendingMessage>> {
        twitch::pending_messages(&self.readers, limit).await
    }

    async fn delete_eventsub_messages_before(&self, before: i64) -> StoreResult<u64> {
        twitch::delete_messages_before(&self.writer, before).await
    }

    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        twitch::record_revocation(&self.writer, revocation).await
    }

    async fn stream(&self) -> StoreResult<Option<Stream>> {
        twitch::stream(&self.readers).await
    }

    /// `VACUUM INTO` on a reader: a snapshot of one read transaction, so
    /// the writer goes on meanwhile (WAL) and the copy is consistent.
    async fn backup_to(&self, path: &Path) -> StoreResult<()> {
        let target = path.to_str().ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration("the backup path is not valid UTF-8".into()))
        })?;
        // Created here, or refused if another backup got there first: only then is it ours to remove.
        create_private(path).map_err(|err| StoreError::Database(sqlx::Error::Io(err)))?;
        if let Err(err) = sqlx::query("VACUUM INTO $1").bind(target).execute(&self.readers).await {
            // Not left behind empty, where the next try would refuse to overwrite it.
            let _ = std::fs::remove_file(path);
            return Err(err.into());
        }
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.readers).await?;
        Ok(())
    }

    async fn close(&self) {
        self.checkpointer.stop().await;
        self.readers.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod upgrade_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_a_newer_version_migrated_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        store.close().await;
        let err = SqliteStore::open(path.to_str().unwrap()).await.err().expect("refused");
        let said = format!("{err:#}");
        assert!(said.contains("migration 9999") && said.contains("a newer version wrote it"), "{said}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_database_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
        sqlx::query("INSERT INTO api_keys (name, hash, scopes, created_at) VALUES ('k', x'01', 'admin', 0)")
            .execute(&store.writer)
            .await
            .unwrap();
        for file in [path.clone(), dir.path().join("p.db-wal")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
        store.close().await;
    }

    #[tokio::test]
    async fn a_failed_commit_does_not_stop_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("p.db").to_str().unwrap()).await.unwrap();
        // A deferred foreign-key violation fails the COMMIT itself and leaves
        // SQLite inside the transaction, as a full disk does.
        let mut tx = store.writer.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await.unwrap();
        sqlx::query("INSERT INTO player_stats (player_id, stat, value) VALUES (999, 'speedXp', 1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        assert!(tx.commit().await.is_err(), "the violation fails the commit");
        let next = store.begin_write().await.expect("the writer starts the next transaction");
        next.commit().await.unwrap();
    }

    /// Without the checkpointer nothing copies the WAL back (the writer's
    /// own checkpoints are off), and it grows to 29 MB here. With it the WAL
    /// stays near what a few rounds write. The file keeps the largest size it
    /// reached, and on two cores running the other tests the checkpointer
    /// can wait its turn for seconds: 2 MiB was passed with 2.9 MB in a CI
    /// run, so the bound is 8 MiB, still well below the 29 MB without it.
    #[tokio::test]
    async fn the_checkpointer_keeps_the_wal_from_growing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let store = SqliteStore::open_with(path.to_str().unwrap(), 64).await.unwrap();
        let filler = "x".repeat(3000);
        for round in 0..40 {
            for n in 0..25 {
                let name = format!("p{round}_{n}");
                sqlx::query(
                    "INSERT INTO players (username, username_key, password_hash, created_at) VALUES ($1, $1, $2, 0)",
                )
                .bind(&name)
                .bind(&filler)
                .execute(&store.writer)
                .await
                .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        let players: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM players").fetch_one(&store.readers).await.unwrap();
        assert_eq!(players, 1000);
        let wal = std::fs::metadata(dir.path().join("p.db-wal")).unwrap().len();
        assert!(wal < 8 << 20, "the WAL grew to {wal} bytes");
        store.close().await;
    }
}
