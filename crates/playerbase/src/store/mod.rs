//! The store: everything playerbase keeps, behind one trait so that the
//! backends (SQLite, PostgreSQL) answer to the same integration suite.

mod api_key_rows;
pub mod awards;
mod known_addresses;
mod postgres;
pub mod serve_lock;
mod sqlite;
pub mod twitch;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::auth::token::TokenHash;
use crate::domain::{Email, PeriodKey, Scope, TwitchUserId, Username};
use awards::{LedgerRow, WriteTx};
use twitch::{NewEventSubMessage, PendingMessage, Revocation, Stream};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// A player as stored. Holds private fields: never serialise it directly.
#[derive(Clone)]
pub struct PlayerRecord {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub twitch_user_id: Option<String>,
    pub twitch_login: Option<String>,
    pub created_at: i64,
    /// Only the stats that were ever stored; the catalog fills in defaults.
    pub stats: HashMap<String, i64>,
}

impl std::fmt::Debug for PlayerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlayerRecord").field("id", &self.id).field("username", &self.username).finish_non_exhaustive()
    }
}

pub struct NewPlayer {
    pub username: Username,
    pub email: Option<Email>,
    pub password_hash: Option<String>,
    pub twitch_user_id: Option<TwitchUserId>,
    /// The Twitch login at creation, when `twitch_user_id` is set and the login known.
    pub twitch_login: Option<String>,
    pub created_at: i64,
}

/// What a one-time "Log in with Twitch" secret stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwitchLoginKind {
    /// The `state` of an authorize URL: a login (or link) started here.
    State,
    /// The one-time code a game trades for its tokens after the login.
    Code,
    /// The one-time code the linking player trades to link the Twitch account.
    Link,
}

impl TwitchLoginKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Code => "code",
            Self::Link => "link",
        }
    }
}

/// A "Log in with Twitch" under way, stored under the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwitchLogin {
    pub kind: TwitchLoginKind,
    /// State: the player linking a Twitch account, or none to log in. Code: the player logged in.
    pub player_id: Option<i64>,
    /// State: where the browser goes once Twitch sends it back.
    pub redirect: Option<String>,
    /// PKCE S256 challenge; the code is traded only with its verifier.
    pub code_challenge: Option<String>,
    /// State: the hash of the cookie value binding the login to the browser that started it.
    pub browser: Option<TokenHash>,
    /// Link: the Twitch account to link, `(user id, login)`.
    pub twitch: Option<(String, String)>,
    pub expires_at: i64,
}

/// A player brought over from another database, keeping its id
/// (`playerbase import-flask`).
pub struct ImportedPlayer {
    pub id: i64,
    pub username: Username,
    pub email: Option<Email>,
    /// An argon2id or legacy (sha512-crypt, sha256-crypt) hash, or none.
    pub password_hash: Option<String>,
    pub created_at: i64,
    /// All-time values, each also written to the ledger with source `import`.
    pub stats: Vec<ImportedStat>,
}

pub struct ImportedStat {
    pub stat: String,
    /// The ledger row's amount.
    pub amount: i64,
    /// The value stored, and the ledger row's `value_after`.
    pub value: i64,
}

/// What anyone may see of a player, as the profile directory loads it.
pub struct PublicProfileRow<'a> {
    pub id: i64,
    pub username: &'a str,
    pub created_at: i64,
    pub twitch_user_id: Option<&'a str>,
    pub twitch_login: Option<&'a str>,
    /// The all-time values stored: `(stat, value)`.
    pub stats: &'a [(&'a str, i64)],
}

/// Changes to a player's credentials, applied together or not at all.
#[derive(Default)]
pub struct AccountChange {
    pub email: EmailChange,
    /// A new password hash ends every session of the player, except `keep_session`.
    pub password_hash: Option<String>,
    pub keep_session: Option<i64>,
}

/// What becomes of a player's email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EmailChange {
    #[default]
    Keep,
    Set(Email),
    Remove,
}

impl EmailChange {
    /// A new email, or none for no change.
    pub fn set_or_keep(email: Option<Email>) -> Self {
        email.map_or(Self::Keep, Self::Set)
    }

    /// The email to store where it changes: `Some(None)` removes it.
    pub fn stored(&self) -> Option<Option<&Email>> {
        match self {
            Self::Keep => None,
            Self::Set(email) => Some(Some(email)),
            Self::Remove => Some(None),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The seed's `/api/token/` token.
    Legacy,
    /// A v1 access token: short-lived, accepted wherever a player is.
    Access,
    /// A v1 refresh token: only buys a new pair, once.
    Refresh,
    /// The website's session cookie: accepted only by the website.
    Web,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Access => "access",
            Self::Refresh => "refresh",
            Self::Web => "web",
        }
    }
}

pub struct NewToken {
    pub hash: TokenHash,
    pub kind: TokenKind,
    pub expires_at: i64,
}

/// The player a live token belongs to, and the session it is part of.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub player: PlayerRecord,
    pub session_id: i64,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live; it is spent now and the new tokens joined its session.
    Rotated { player_id: i64, session_id: i64 },
    /// The token had been spent before: its whole session has been ended.
    Reused,
    /// No such live token (never issued, expired, or its session ended).
    Unknown,
}

/// An API key as stored: never the key itself.
#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl ApiKeyRecord {
    /// `admin` allows everything.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|&held| held == scope || held == Scope::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Username,
    Email,
    TwitchUserId,
    ApiKeyName,
}

impl UniqueField {
    pub fn error_code(self) -> &'static str {
        match self {
            Self::Username => "username_taken",
            Self::Email => "email_taken",
            Self::TwitchUserId => "twitch_user_taken",
            Self::ApiKeyName => "api_key_name_taken",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::TwitchUserId => "Twitch account",
            Self::ApiKeyName => "API key name",
        }
    }

    /// Which unique column a database error names, if it is a unique violation.
    fn violated_by(err: &sqlx::Error) -> Option<Self> {
        let db = err.as_database_error().filter(|db| db.is_unique_violation())?;
        let text = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
        [
            ("username_key", Self::Username),
            ("email_key", Self::Email),
            ("twitch_user_id", Self::TwitchUserId),
            ("api_keys", Self::ApiKeyName),
        ]
        .into_iter()
        .find_map(|(column, field)| text.contains(column).then_some(field))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} taken", .0.describe())]
    Taken(UniqueField),
    #[error("the database holds something unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    /// From the SQLite award writer's own statements.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match UniqueField::violated_by(&err) {
            Some(field) => Self::Taken(field),
            None => Self::Database(err),
        }
    }
}

impl StoreError {
    /// Whether the database could not be reached at all (stopped,
    /// restarting, the network down): a passing state the client should
    /// retry, not a failure of its request.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL's connection exceptions (08…) and its shutting down or starting up (57P…).
            Self::Database(sqlx::Error::Database(err)) => {
                err.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
            }
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A value a player has on a board: `(stat, period, value)`.
pub type BoardValue = (String, PeriodKey, i64);

/// Writes the announcement of a player's deletion from its id and its values on the boards.
pub type AnnounceDeletion = dyn Fn(i64, &[BoardValue]) -> String + Send + Sync;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn create_player(&self, player: NewPlayer) -> StoreResult<PlayerRecord>;
    async fn player_by_id(&self, id: i64) -> StoreResult<Option<PlayerRecord>>;
    async fn player_by_username(&self, username: &Username) -> StoreResult<Option<PlayerRecord>>;
    /// Up to `limit` players with an id above `after`, by id: `(id, username)`.
    async fn list_usernames(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>>;
    async fn player_by_twitch_id(&self, twitch_user_id: &TwitchUserId) -> StoreResult<Option<PlayerRecord>>;
    async fn player_by_email(&self, email: &Email) -> StoreResult<Option<PlayerRecord>>;
    /// Applies the change in one transaction; a new password also ends the
    /// player's other sessions and forgets its known addresses. Call it through
    /// `accounts::change_account`, which also tells this server's login limits.
    async fn update_account(&self, player_id: i64, change: AccountChange) -> StoreResult<()>;
    /// Sets the password hash to `new` if it still is `old`, keeping every
    /// session (a legacy hash replaced at login); false if it was not `old`.
    async fn replace_password_hash(&self, player_id: i64, old: &str, new: &str) -> StoreResult<bool>;
    /// The highest player id ever handed out, deleted players' included; 0 if none.
    async fn max_player_id_ever(&self) -> StoreResult<i64>;
    /// Inserts the players with their own ids, their all-time stats, and a
    /// ledger row per stat (source `import`, `reason`, at `now`), in one
    /// transaction: all of them or none.
    async fn import_players(&self, players: &[ImportedPlayer], reason: &str, now: i64) -> StoreResult<()>;
    /// Calls `each` with every player's public profile and all-time stats,
    /// for the in-memory profile directory, and returns true; returns false
    /// without reading where this server is not the database's one writer
    /// (PostgreSQL: other instances change players unannounced).
    async fn public_profiles(&self, each: &mut (dyn for<'r> FnMut(PublicProfileRow<'r>) + Send)) -> StoreResult<bool>;
    /// Deletes the player with its stats, sessions and tokens; false if there was none.
    /// Where other instances follow this one's changes (PostgreSQL), the
    /// deletion is announced to them in its own transaction, as `announce`
    /// writes it from the player's values on the running boards at that moment.
    /// Call it only through `accounts::delete_player`, which also clears what lives outside the store.
    async fn delete_player(&self, player_id: i64, now: i64, announce: &AnnounceDeletion) -> StoreResult<bool>;

    /// Starts a session holding `tokens`; returns its id. With
    /// `checked_hash`, the stored password hash a login's password was
    /// checked against, only while it is still the player's: a password
    /// changed meanwhile ended every session, and must end this one too.
    /// None when the player is gone or the hash has changed.
    async fn create_session(
        &self,
        player_id: i64,
        checked_hash: Option<&str>,
        tokens: &[NewToken],
        now: i64,
    ) -> StoreResult<Option<i64>>;
    async fn token_owner(&self, hash: &TokenHash, kind: TokenKind, now: i64) -> StoreResult<Option<TokenOwner>>;
    /// Spends a live refresh token and adds `fresh` to its session, in one
    /// transaction; a spent one ends its session instead.
    async fn rotate_refresh_token(&self, spent: &TokenHash, fresh: &[NewToken], now: i64) -> StoreResult<Rotation>;
    /// Ends a session and every token in it.
    async fn end_session(&self, session_id: i64) -> StoreResult<()>;
    async fn delete_expired_tokens(&self, now: i64) -> StoreResult<u64>;
    /// Until when `network` (an address, or an IPv6 /64, as text) is known to
    /// the player whose username key is `username_key`, if it still is at `now`.
    async fn known_address(&self, username_key: &str, network: &str, now: i64) -> StoreResult<Option<i64>>;
    /// The player logged in from `network`: known until `until`. A player keeps
    /// its eight latest; `delete_expired_tokens` also forgets expired ones.
    async fn remember_address(&self, player_id: i64, network: &str, until: i64) -> StoreResult<()>;
    /// The player's known addresses, `(network, until)`, latest first (a password change forgets them).
    async fn known_addresses_of(&self, player_id: i64) -> StoreResult<Vec<(String, i64)>>;

    /// Links a Twitch account to the player (replacing any other), or updates
    /// its login; false if there is no such player. `Taken(TwitchUserId)` if
    /// another player holds that Twitch account.
    async fn link_twitch(&self, player_id: i64, twitch_user_id: &TwitchUserId, login: &str) -> StoreResult<bool>;
    /// Keeps a one-time "Log in with Twitch" secret, by its hash.
    async fn put_twitch_login(&self, hash: &TokenHash, login: &TwitchLogin) -> StoreResult<()>;
    /// Removes and returns the secret's row if it is of `kind` and live: each
    /// secret is good once, whichever instance it is presented to.
    async fn take_twitch_login(
        &self,
        hash: &TokenHash,
        kind: TwitchLoginKind,
        now: i64,
    ) -> StoreResult<Option<TwitchLogin>>;
    async fn delete_expired_twitch_logins(&self, now: i64) -> StoreResult<u64>;

    async fn create_api_key(
        &self,
        name: &str,
        hash: &TokenHash,
        scopes: &[Scope],
        now: i64,
    ) -> StoreResult<ApiKeyRecord>;
    /// Every key, revoked ones included, oldest first.
    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes the live key of that name; false if there is none.
    async fn revoke_api_key(&self, name: &str, now: i64) -> StoreResult<bool>;
    async fn live_api_key(&self, hash: &TokenHash) -> StoreResult<Option<ApiKeyRecord>>;

    /// Starts a transaction of the award writer.
    async fn begin_write(&self) -> StoreResult<Box<dyn WriteTx>>;
    /// A player's ledger, newest first, below the id `before`.
    async fn ledger_page(&self, player_id: i64, before: Option<i64>, limit: u32) -> StoreResult<Vec<LedgerRow>>;
    /// The newest `limit` rows of the ledger after the id `after`, oldest first.
    async fn ledger_tail(&self, after: i64, limit: u32) -> StoreResult<Vec<LedgerRow>>;
    /// The id of the ledger's newest row; 0 while it is empty.
    async fn last_ledger_id(&self) -> StoreResult<i64>;
    /// How many ledger rows lie strictly between two ids (ids may have gaps), up to `at_most`.
    async fn ledger_rows_between(&self, after: i64, before: i64, at_most: i64) -> StoreResult<i64>;
    async fn stat_value(&self, period: PeriodKey, player_id: i64, stat: &str) -> StoreResult<Option<i64>>;
    /// Calls `each(period, stat, player_id, value)` for every stored value of
    /// `periods`, all read in one snapshot; returns the id of the last
    /// announcement that snapshot includes (0 where there are none).
    async fn board_snapshot(
        &self,
        periods: &[PeriodKey],
        each: &mut (dyn for<'s> FnMut(PeriodKey, &'s str, i64, i64) + Send),
    ) -> StoreResult<i64>;
    /// Announcements of award commits after the id `after`, oldest first:
    /// `(id, body)`. Only a database several instances share has any.
    async fn announcements_after(&self, after: i64, limit: u32) -> StoreResult<Vec<(i64, String)>>;
    /// A signal each time an instance announces a commit; none where
    /// announcements are not needed (SQLite: one server per database).
    async fn listen_announcements(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<()>>>;
    /// Forgets announcements made before `before`.
    async fn delete_announcements_before(&self, before: i64) -> StoreResult<u64>;
    async fn usernames(&self, ids: &[i64]) -> StoreResult<HashMap<i64, String>>;
    /// The first answer given under an Idempotency-Key, if it is still kept.
    async fn stored_reply(&self, key: &awards::IdempotencyKey) -> StoreResult<Option<awards::StoredReply>>;
    /// Forgets idempotency answers given before `before`.
    async fn delete_replies_before(&self, before: i64) -> StoreResult<u64>;

    /// Stores EventSub notifications in one transaction; returns the ids
    /// that were new (a message id seen before is not stored again).
    async fn save_eventsub_messages(&self, messages: &[NewEventSubMessage]) -> StoreResult<HashSet<String>>;
    /// Stored notifications not applied yet, in the order received.
    async fn pending_eventsub_messages(&self, limit: u32) -> StoreResult<Vec<PendingMessage>>;
    /// Forgets applied notifications received before `before`.
    async fn delete_eventsub_messages_before(&self, before: i64) -> StoreResult<u64>;
    async fn record_revocation(&self, revocation: &Revocation) -> StoreResult<()>;
    /// The configured broadcaster's last stream, live or ended.
    async fn stream(&self) -> StoreResult<Option<Stream>>;

    /// Writes a consistent copy of the whole database to `path`, which must
    /// not exist, while the server goes on reading and writing.
    async fn backup_to(&self, path: &Path) -> StoreResult<()>;

    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;
    async fn close(&self);
}

/// Whether `database` names a PostgreSQL server rather than a SQLite file.
pub fn is_postgres(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// The file a SQLite path or `sqlite:` URL names; an error for an in-memory database.
pub fn sqlite_file(database: &str) -> anyhow::Result<std::path::PathBuf> {
    use std::str::FromStr;
    if !database.starts_with("sqlite:") {
        return Ok(database.into());
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(database)
        .map_err(|err| anyhow::anyhow!("invalid SQLite URL {database}: {err}"))?;
    let path = options.get_filename();
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        anyhow::bail!("{database} is an in-memory SQLite database; give the database file");
    }
    Ok(path.to_owned())
}

/// Opens (creating and migrating if need be) the database named by `database`:
/// a `postgres://` or `postgresql://` URL, else a SQLite file path or `sqlite:` URL.
/// A migration the database has and this binary lacks means a newer
/// playerbase wrote it: said so, rather than sqlx's "previously applied but missing".
pub fn newer_schema(err: sqlx::migrate::MigrateError) -> anyhow::Error {
    match err {
        sqlx::migrate::MigrateError::VersionMissing(version) => anyhow::anyhow!(
            "the database has migration {version}, which this playerbase does not know: a newer version \
             wrote it. Run that version (or newer); going back needs a backup taken before the upgrade"
        ),
        other => other.into(),
    }
}

/// Where `database` is, for the log: a SQLite file's path, or a PostgreSQL
/// server's `host:port/database` (never its password).
pub fn location(database: &str) -> String {
    if is_postgres(database) {
        return postgres::location(database);
    }
    match sqlite_file(database) {
        Ok(path) => std::fs::canonicalize(&path).unwrap_or(path).display().to_string(),
        Err(_) => database.to_owned(),
    }
}

pub async fn open(database: &str) -> anyhow::Result<Arc<dyn Store>> {
    if is_postgres(database) {
        return Ok(Arc::new(PgStore::open(database).await?));
    }
    Ok(Arc::new(SqliteStore::open(database).await?))
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn only_a_database_out_of_reach_is_unreachable() {
        let unreachable = [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ];
        for err in unreachable {
            assert!(StoreError::Database(err).is_unreachable());
        }
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unreachable());
        assert!(!StoreError::Corrupt("bad json".into()).is_unreachable());
    }
}
