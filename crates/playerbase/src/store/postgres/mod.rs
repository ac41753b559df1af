//! The PostgreSQL store, for scale-out: several playerbase instances may
//! share one database. The SQL mirrors `store/sqlite` file by file.
//!
//! What SQLite gets from having one writer connection, this store gets from
//! a transaction-scoped advisory lock ([`lock_writers`]): award groups of
//! every instance apply one at a time, so values read in a group are still
//! the values when it writes, and ledger ids grow in commit order.

mod api_keys;
mod awards;
mod players;
mod sessions;
mod twitch;
mod twitch_logins;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::{
    AccountChange, AnnounceDeletion, ApiKeyRecord, ImportedPlayer, NewPlayer, NewToken, PlayerRecord, PublicProfileRow,
    Rotation, Store, StoreError, StoreResult, TokenKind, TokenOwner, TwitchLogin, TwitchLoginKind,
};
use crate::auth::token::TokenHash;
use crate::domain::{Email, PeriodKey, Scope, TwitchUserId, Username};
use crate::store::awards::{IdempotencyKey, LedgerRow, StoredReply, WriteTx};
use crate::store::known_addresses;
use crate::store::twitch::{NewEventSubMessage, PendingMessage, Revocation, Stream};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The advisory lock the award writers of all instances take for the length
/// of a transaction ("playerba" in ASCII). Advisory locks are per database.
pub const WRITER_LOCK: i64 = 0x706c_6179_6572_6261;

/// Connections per instance: requests read through the pool, the award
/// writer holds one for each group.
const POOL_SIZE: u32 = 16;

pub struct PgStore {
    pool: PgPool,
    /// The last readiness probe and when it ended (its failure, if any):
    /// probes run one at a time and are reused for a moment, so a flood of
    /// `/readyz` opens at most one connection a second.
    last_probe: tokio::sync::Mutex<Option<(Instant, Option<String>)>>,
}

/// How long a readiness probe's outcome stands for later ones.
const PROBE_REUSED_FOR: Duration = Duration::from_secs(1);

/// Waits for, then holds until the transaction ends, the award writers' lock.
async fn lock_writers(tx: &mut PgConnection) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(tx).await?;
    Ok(())
}

/// `host:port/database` of a URL, never its password.
fn describe(options: &PgConnectOptions) -> String {
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default())
}

/// `host:port/database` of a URL; the URL as given cannot be read.
pub fn location(database: &str) -> String {
    PgConnectOptions::from_str(database).map_or_else(|_| "an unreadable PostgreSQL URL".to_owned(), |o| describe(&o))
}

impl PgStore {
    async fn probe(&self) -> StoreResult<()> {
        let mut probe = PgConnection::connect_with(&self.pool.connect_options()).await?;
        sqlx::query("SELECT 1").execute(&mut probe).await?;
        probe.close().await.ok();
        Ok(())
    }

    pub async fn open(database: &str) -> anyhow::Result<Self> {
        // The URL may hold a password: errors name the server, not the URL.
        let options = PgConnectOptions::from_str(database)
            .map_err(|err| anyhow::anyhow!("invalid PostgreSQL URL: {err}"))?
            .application_name("playerbase")
            // JIT compiling pays off for long analytic queries; for the award
            // writer's batched lookups (a 1,000-row VALUES list looks costly to
            // the planner) it added seconds per query.
            .options([("jit", "off")]);
        let server = describe(&options);
        // One connection first, for the server's own error: the pool would
        // retry until its timeout and report only that.
        let probe = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect_with(&options))
            .await
            .map_err(|_| anyhow::anyhow!("PostgreSQL at {server} did not answer within 10 s"))?
            .map_err(|err| anyhow::anyhow!("cannot connect to PostgreSQL at {server}: {err}"))?;
        probe.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {server}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(crate::store::newer_schema)
            .with_context(|| format!("cannot migrate the PostgreSQL database {server}"))?;
        Ok(Self { pool, last_probe: tokio::sync::Mutex::new(None) })
    }

    /// The pool, for tools that work on the schema as a whole (`migrate-database`).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    async fn create_player(&self, player: NewPlayer) -> StoreResult<PlayerRecord> {
        players::create(&self.pool, player).await
    }

    async fn player_by_id(&self, id: i64) -> StoreResult<Option<PlayerRecord>> {
        players::by_id(&self.pool, id).await
    }

    async fn player_by_username(&self, username: &Username) -> StoreResult<Option<PlayerRecord>> {
        players::by_username(&self.pool, username).await
    }

    async fn list_usernames(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
        players::list_usernames(&self.pool, after, limit).await
    }

    async fn player_by_twitch_id(&self, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>> {
        players::by_twitch_id(&self.pool, twitch_user_id).await
    }

    async fn player_by_email(&self, email: &Email) -> StoreResult<Option<PlayerRecord>> {
        players::by_email(&self.pool, email).await
    }

    async fn update_account(&self, player_id: i64, change: AccountChange) -> StoreResult<()> {
        players::update_account(&self.pool, player_id, change).await
    }

    async fn replace_password_hash(&self, player_id: i64, old: &str, new: &str) -> StoreResult<bool> {
        players::replace_password_hash(&self.pool, player_id, old, new).await
    }

    async fn max_player_id_ever(&self) -> StoreResult<i64> {
        players::max_id_ever(&self.pool).await
    }

    async fn import_players(&self, players: &[ImportedPlayer], reason: &str, now: i64) -> StoreResult<()> {
        players::import(&self.pool, players, reason, now).await
    }

    async fn public_profiles(&self, _each: &mut (dyn for<'r> FnMut(PublicProfileRow<'r>) + Send)) -> StoreResult<bool> {
        // Several instances may share the database, and a name changed
        // through another one is not announced: no directory here.
        Ok(false)
    }

    async fn delete_player(&self, player_id: i64, now: i64, announce: &AnnounceDeletion) -> StoreResult<bool> {
        players::delete(&self.pool, player_id, now, announce).await
    }

    async fn create_session(
        &self,
        player_id: i64,
        checked_hash: Option<&str>,
        tokens: &[NewToken],
        now: i64,
    ) -> StoreResult<Option<i64>> {
        sessions::create(&self.pool, player_id, checked_hash, tokens, now).await
    }

    async fn token_owner(&self, hash: &TokenHash, kind: TokenKind, now: i64) -> StoreResult<Option<TokenOwner>> {
        sessions::token_owner(&self.pool, hash, kind, now).await
    }

    async fn rotate_refresh_token(&self, spent: &TokenHash, fresh: &[NewToken], now: i64) -> StoreResult<Rotation> {
        sessions::rotate_refresh(&self.pool, spent, fresh, now).await
    }

    async fn end_session(&self, session_id: i64) -> StoreResult<()> {
        sessions::end(&self.pool, session_id).await
    }

    async fn known_address(&self, username_key: &str, network: &str, now: i64) -> StoreResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        known_addresses::known_until::<sqlx::Postgres>(&mut conn, username_key, network, now).await
    }

    async fn remember_address(&self, player_id: i64, network: &str, until: i64) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        known_addresses::remember::<sqlx::Postgres>(&mut conn, player_id, network, until).await
    }

    async fn known_addresses_of(&self, player_id: i64) -> StoreResult<Vec<(String, i64)>> {
        let mut conn = self.pool.acquire().await?;
        known_addresses::of_player::<sqlx::Postgres>(&mut conn, player_id).await
    }

    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<u64> {
        sessions::delete_expired(&self.pool, now).await
    }

    async fn link_twitch(&self, player_id: i64, twitch_user_id: &TwitchUserId, login: &str) -> StoreResult<bool> {
        twitch_logins::link(&self.pool, player_id, twitch_user_id, login).await
    }

    async fn put_twitch_login(&self, hash: &TokenHash, login: &TwitchLogin) -> StoreResult<()> {
        twitch_logins::put(&self.pool, hash, login).await
    }

    async fn take_twitch_login(
        &self,
        hash: &TokenHash,
        kind: TwitchLoginKind,
        now: i64,
    ) -> StoreResult<Option<TwitchLogin>> {
        twitch_logins::take(&self.pool, hash, kind, now).await
    }

    async fn delete_expired_twitch_logins(&self, now: i64) -> StoreResult<u64> {
        twitch_logins::delete_expired(&self.pool, now).await
    }

    async fn create_api_key(
        &self,
        name: &str,
        hash: &TokenHash,
        scopes: &[Scope],
        now: i64,
    ) -> StoreResult<ApiKeyRecord> {
        api_keys::create(&self.pool, name, hash, scopes, now).await
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        api_keys::list(&self.pool).await
    }

    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool> {
        api_keys::revoke(&self.pool, name, now).await
    }

    async fn live_api_key(&self, hash: &TokenHash) -> StoreResult<Option<ApiKeyRecord>> {
        api_keys::live_by_hash(&self.pool, hash).await
    }

    async fn begin_write(&self) -> StoreResult<Box<dyn WriteTx>> {
        let mut tx = self.pool.begin().await?;
        lock_writers(&mut tx).await?;
        Ok(Box::new(awards::PgWriteTx { tx }))
    }

    async fn ledger_page(&self, player_id: i64, before: Option<i64>, limit: u32) -> StoreResult<Vec<LedgerRow>> {
        awards::ledger_page(&self.pool, player_id, before, limit).await
    }

    async fn ledger_tail(&self, after: i64, limit: u32) -> StoreResult<Vec<LedgerRow>> {
        awards::ledger_tail(&self.pool, after, limit).await
    }

    async fn ledger_rows_between(&self, after: i64, before: i64, at_most: i64) -> StoreResult<i64> {
        crate::store::awards::ledger_rows_between(&self.pool, after, before, at_most).await
    }

    async fn last_ledger_id(&self) -> StoreResult<i64> {
        crate::store::awards::last_ledger_id(&self.pool).await
    }

    async fn stat_value(&self, period: PeriodKey, player_id: i64, stat: &str) -> StoreResult<Option<i64>> {
        awards::stat_value(&self.pool, period, player_id, stat).await
    }

    async fn board_snapshot(
        &self,
        periods: &[PeriodKey],
        each: &mut (dyn for<'s> FnMut(PeriodKey, &'s str, i64, i64) + Send),
    ) -> StoreResult<i64> {
        awards::board_snapshot(&self.pool, periods, each).await
    }

    async fn announcements_after(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>> {
        awards::announcements_after(&self.pool, after, limit).await
    }

    async fn listen_announcements(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<()>>> {
        awards::listen_announcements(&self.pool).await.map(Some)
    }

    async fn delete_announcements_before(&self, before: i64) -> StoreResult<u64> {
        awards::delete_announcements_before(&self.pool, before).await
    }

    async fn usernames(&self, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
        awards::usernames(&self.pool, ids).await
    }

    async fn stored_reply(&self, key: &IdempotencyKey) -> StoreResult<Option<StoredReply>> {
        crate::store::awards::stored_reply(&self.pool, key).await
    }

    async fn delete_replies_before(&self, before: i64) -> StoreResult<u64> {
        awards::delete_replies_before(&self.pool, before).await
    }

    async fn save_eventsub_messages(&self, messages: &[NewEventSubMessage]) -> StoreResult<HashSet<String>> {
        twitch::save_messages(&self.pool, messages).await
    }

    async fn pending_eventsub_messages(&self, limit: u32) -> StoreResult<Vec<PendingMessage>> {
        twitch::pending_messages(&self.pool, limit).await
    }

    async fn delete_eventsub_messages_before(&self, before: i64) -> StoreResult<u64> {
        twitch::delete_messages_before(&self.pool, before).await
    }

    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()> {
        twitch::record_revocation(&self.pool, revocation).await
    }

    async fn stream(&self) -> StoreResult<Option<Stream>> {
        twitch::stream(&self.pool).await
    }

    /// A server's backups are `pg_dump`'s job; `playerbase backup` refuses
    /// PostgreSQL before it gets here.
    async fn backup_to(&self, _path: &Path) -> StoreResult<()> {
        Err(StoreError::Database(sqlx::Error::Configuration(
            "playerbase backup is for SQLite; back up PostgreSQL with pg_dump".into(),
        )))
    }

    /// On a connection of its own, which fails at once with the reason
    /// (refused, no such database, …) where the pool would retry for its
    /// whole timeout and then say only that it waited; and which a full
    /// pool under load does not fail. See [`PgStore::last_probe`].
    async fn ping(&self) -> StoreResult<()> {
        // Closed: the server is stopping, and no longer ready whatever the database says.
        if self.pool.is_closed() {
            return Err(sqlx::Error::PoolClosed.into());
        }
        let mut last = self.last_probe.lock().await;
        let failure = match &*last {
            Some((ended, failure)) if ended.elapsed() < PROBE_REUSED_FOR => failure.clone(),
            _ => {
                let failure = self.probe().await.err().map(|err| err.to_string());
                *last = Some((Instant::now(), failure.clone()));
                failure
            }
        };
        match failure {
            None => Ok(()),
            Some(why) => Err(sqlx::Error::Io(std::io::Error::other(why)).into()),
        }
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
