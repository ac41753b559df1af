//! Configuration: defaults, then the TOML file, then `PLAYERBASE_*`
//! variables, then command-line flags. Every key is documented in README.md.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};

use crate::domain::stats::{StatSpec, seed_stat_specs};
use crate::domain::{PasswordRules, StatCatalog};

mod twitch;
pub use twitch::{ChatConfig, RuleSpec, Secret, TwitchConfig};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub database: String,
    pub public_url: String,
    /// Origins whose browser pages may call the API (Unity WebGL builds);
    /// `["*"]` for any. Empty: no cross-origin calls.
    pub cors_origins: Vec<String>,
    pub auth: AuthConfig,
    pub stats: Vec<StatSpec>,
    pub limits: LimitsConfig,
    pub twitch: TwitchConfig,
}

/// 429 with `Retry-After` past these; 0 turns one off.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Failed logins per account in 15 minutes before the exponential back-off.
    pub login_failures_per_account: u32,
    /// Password attempts per address per minute.
    pub login_per_ip: u32,
    /// Sign-ups per address per hour.
    pub register_per_ip: u32,
    /// Awards per second per API key.
    pub awards_per_key: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry; only
    /// behind a reverse proxy that sets it, or anyone can pick an address.
    pub trust_forwarded_for: bool,
    /// Open connections at most; the next client waits until one closes.
    pub max_connections: usize,
    /// A request that has no answer after this long gets 503.
    pub request_timeout_seconds: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            login_failures_per_account: 10,
            login_per_ip: 60,
            register_per_ip: 30,
            awards_per_key: 0,
            trust_forwarded_for: false,
            max_connections: 10_000,
            request_timeout_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Lifetime of the seed's `/api/token/` tokens.
    pub token_seconds: u32,
    /// Lifetime of v1 access tokens.
    pub access_seconds: u32,
    /// Lifetime of v1 refresh tokens; each refresh starts a new one.
    pub refresh_days: u32,
    pub min_password_length: usize,
    pub registration: Registration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Open,
    Closed,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:5000".into(),
            database: "playerbase.db".into(),
            public_url: "http://127.0.0.1:5000".into(),
            cors_origins: Vec::new(),
            auth: AuthConfig::default(),
            stats: seed_stat_specs(),
            limits: LimitsConfig::default(),
            twitch: TwitchConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_seconds: 600,
            access_seconds: 900,
            refresh_days: 30,
            min_password_length: 8,
            registration: Registration::Open,
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// An access token is checked on every request but can only be revoked by
/// ending its session; a day bounds how long a stolen one is useful.
const MAX_ACCESS_SECONDS: u32 = 86_400;
const MAX_REFRESH_DAYS: u32 = 3650;

/// `PLAYERBASE_*` variables that are not configuration keys.
const NOT_CONFIG_KEYS: [&str; 3] = ["config", "test_postgres", "chromium"];

/// Settings that are text even when all digits: figment reads an environment
/// variable as a number where it can, which would drop a secret's leading
/// zeros (`0123…` becoming `123…`), so these are taken as written.
const TEXT_KEYS: [&str; 5] = [
    "twitch.client_id",
    "twitch.client_secret",
    "twitch.eventsub_secret",
    "twitch.broadcaster_user_id",
    "twitch.chat.bot_user_id",
];

/// The environment variable of a key: `auth.token_seconds` is `PLAYERBASE_AUTH__TOKEN_SECONDS`.
fn env_variable(key: &str) -> String {
    format!("PLAYERBASE_{}", key.to_uppercase().replace('.', "__"))
}

/// The variable that holds `path`, and where in its value when that is a list
/// (`cors_origins.1` is `PLAYERBASE_CORS_ORIGINS, at 1`): no variable names an element.
fn variable_holding(path: &[String]) -> String {
    let list_at = path.iter().position(|part| part.parse::<usize>().is_ok()).unwrap_or(path.len());
    let variable = env_variable(&path[..list_at].join("."));
    match &path[list_at..] {
        [] => variable,
        within => format!("{variable}, at {}", within.join(".")),
    }
}

/// figment's errors, each named as the operator wrote it: `auth.token_secs in
/// FILE` or `PLAYERBASE_AUTH__TOKEN_SECONDS`, not figment's own `default.auth…`
/// and `AUTH.TOKEN_SECONDS`. `env_source` is the name figment gives the variables.
fn explain(err: figment::Error, env_source: &str) -> String {
    let told: Vec<String> = err
        .into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let metadata = err.metadata.as_ref();
            let from_env = metadata.is_some_and(|m| m.name == env_source);
            let file = metadata.and_then(|m| m.source.as_ref()).and_then(|source| source.file_path());
            match file {
                _ if from_env && !key.is_empty() => format!("{}: {}", variable_holding(&err.path), err.kind),
                Some(file) if key.is_empty() => format!("{}: {}", file.display(), err.kind),
                Some(file) => format!("{key} in {}: {}", file.display(), err.kind),
                None if key.is_empty() => err.kind.to_string(),
                None => format!("{key}: {}", err.kind),
            }
        })
        .collect();
    told.join("; ")
}

impl Config {
    /// Reads the layers: defaults, the TOML file, `PLAYERBASE_*`, the flags.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if path.is_dir() {
                return Err(ConfigError::Invalid(format!(
                    "{} is a directory, not a configuration file",
                    path.display()
                )));
            }
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_owned()));
            }
            figment = figment.merge(Toml::file(path));
        }
        let env = Env::prefixed("PLAYERBASE_").split("__").ignore(&NOT_CONFIG_KEYS);
        let env_source = env.metadata().name;
        figment = figment.merge(env);
        for key in TEXT_KEYS {
            if let Ok(text) = std::env::var(env_variable(key)) {
                figment = figment.merge(Serialized::default(key, text));
            }
        }
        let config: Config = figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|err| ConfigError::Invalid(explain(err, &env_source)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.stat_catalog()?;
        for origin in &self.cors_origins {
            check_origin(origin).map_err(|why| ConfigError::Invalid(format!("cors_origins: {why}")))?;
        }
        check_database(&self.database)?;
        check_public_url(&self.public_url)?;
        check_web_url("twitch.oauth_url", &self.twitch.oauth_url)?;
        check_web_url("twitch.helix_url", &self.twitch.helix_url)?;
        if self.limits.request_timeout_seconds == 0 {
            return Err(ConfigError::Invalid("limits.request_timeout_seconds must be at least 1".into()));
        }
        if self.auth.token_seconds == 0 {
            return Err(ConfigError::Invalid("auth.token_seconds must be at least 1".into()));
        }
        if self.auth.access_seconds == 0 || self.auth.access_seconds > MAX_ACCESS_SECONDS {
            return Err(ConfigError::Invalid(format!(
                "auth.access_seconds must be between 1 and {MAX_ACCESS_SECONDS}"
            )));
        }
        if self.auth.refresh_days == 0 || self.auth.refresh_days > MAX_REFRESH_DAYS {
            return Err(ConfigError::Invalid(format!("auth.refresh_days must be between 1 and {MAX_REFRESH_DAYS}")));
        }
        if self.auth.min_password_length == 0 || self.auth.min_password_length > 128 {
            return Err(ConfigError::Invalid("auth.min_password_length must be between 1 and 128".into()));
        }
        self.twitch.validate(&self.stat_catalog()?).map_err(ConfigError::Invalid)
    }

    pub fn stat_catalog(&self) -> Result<StatCatalog, ConfigError> {
        StatCatalog::from_specs(&self.stats).map_err(|why| ConfigError::Invalid(why.0))
    }

    pub fn refresh_seconds(&self) -> i64 {
        i64::from(self.auth.refresh_days) * 86_400
    }

    pub fn password_rules(&self) -> PasswordRules {
        PasswordRules { min_length: self.auth.min_password_length }
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after.
/// Anything else never equals a request's `Origin`, and CORS would fail
/// without a word (a trailing slash, say).
fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let url =
        reqwest::Url::parse(origin).map_err(|_| format!("{origin:?} is not an origin such as https://game.example"))?;
    if matches!(url.scheme(), "http" | "https") {
        let exact = url.origin().ascii_serialization();
        if exact != origin {
            return Err(format!(
                "{origin:?} is not an origin as browsers send it: write {exact:?} (no path, no trailing slash)"
            ));
        }
        return Ok(());
    }
    // An app's own scheme (capacitor://localhost, tauri://localhost): a host and nothing after it.
    if url.host().is_none() || !url.path().is_empty() || url.query().is_some() || origin.ends_with('/') {
        return Err(format!("{origin:?} is not an origin as browsers send it: scheme://host[:port], nothing after"));
    }
    Ok(())
}

/// An http(s) URL with a host.
fn check_web_url(key: &str, value: &str) -> Result<reqwest::Url, ConfigError> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(ConfigError::Invalid(format!("{key}: {value:?} is not an http(s) URL such as https://game.example"))),
    }
}

/// An http(s) URL that paths are appended to (`{public_url}/auth/twitch/callback`):
/// a query or fragment would end up in front of them.
fn check_public_url(value: &str) -> Result<(), ConfigError> {
    let url = check_web_url("public_url", value)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::Invalid(format!(
            "public_url: {value:?} has a query or fragment; give the address players reach the server at, \
             such as https://game.example"
        )));
    }
    Ok(())
}

/// A SQLite file path, a `sqlite:` URL or a `postgres://` URL: another
/// scheme would otherwise be taken for a file path.
fn check_database(database: &str) -> Result<(), ConfigError> {
    const KNOWN: [&str; 3] = ["postgres", "postgresql", "sqlite"];
    let Some((scheme, _)) = database.split_once("://") else { return Ok(()) };
    let is_scheme = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme || KNOWN.contains(&scheme) {
        return Ok(());
    }
    if KNOWN.iter().any(|known| scheme.eq_ignore_ascii_case(known)) {
        return Err(ConfigError::Invalid(format!("database: write the scheme {scheme}:// in lower case")));
    }
    Err(ConfigError::Invalid(format!(
        "database: {scheme}:// is not a database playerbase uses; give a SQLite file path, a sqlite: URL \
         or a postgres:// URL"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("playerbase.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path), &Overrides::default())
    }

    #[test]
    fn urls_that_could_never_work_are_refused_at_start() {
        let refused = |text: &str, expected: &str| {
            let err = load_text(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        };
        refused("cors_origins = [\"https://game.example/\"]", "write \"https://game.example\"");
        refused("cors_origins = [\"game.example\"]", "is not an origin");
        refused("public_url = \"not a url\"", "public_url");
        refused("database = \"mysql://game@db/game\"", "mysql:// is not a database playerbase uses");
        refused("database = \"POSTGRES://u@h/db\"", "write the scheme POSTGRES:// in lower case");
        for fine in ["sqlite://game.db?mode=rwc", "C://games/pb.db", "postgresql://u@h/db", "data/game.db"] {
            check_database(fine).unwrap();
        }
        refused("public_url = \"https://game.example/base?a=1\"", "has a query or fragment");
        refused("public_url = \"https://game.example/#top\"", "has a query or fragment");
        refused("[twitch]\noauth_url = \"nope\"", "twitch.oauth_url");
        refused("[twitch]\nlogin_redirects = [\"javascript:alert(1)\"]", "cannot be where a login sends");
        refused("[twitch]\nlogin_redirects = [\"game.example/auth\"]", "is not a URL");
        refused("cors_origins = [\"capacitor://localhost/\"]", "nothing after");
        let fine = "public_url = \"https://game.example\"\n\
                    cors_origins = [\"https://game.example\", \"http://localhost:8080\", \"capacitor://localhost\", \"*\"]\n\
                    [twitch]\nlogin_redirects = [\"mygame://auth\", \"https://play.game.example/\"]";
        load_text(fine).unwrap();
    }

    #[test]
    fn without_a_file_the_defaults_serve_the_seed_game() {
        let config = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:5000");
        assert_eq!(config.database, "playerbase.db");
        assert_eq!(config.auth.token_seconds, 600);
        assert_eq!((config.auth.access_seconds, config.auth.refresh_days), (900, 30));
        assert_eq!(config.stats.len(), 10);
    }

    #[test]
    fn a_file_replaces_the_stats_and_keeps_other_defaults() {
        let config = load_text(
            "public_url = \"https://game.example\"\n[auth]\nregistration = \"closed\"\n\
             [[stats]]\nkey = \"wins\"\nlabel = \"Wins\"\nop = \"max\"\nmax = 100\nlevels = [0, 5]\n",
        )
        .unwrap();
        assert_eq!(config.public_url, "https://game.example");
        assert_eq!(config.auth.registration, Registration::Closed);
        assert_eq!(config.auth.token_seconds, 600, "untouched keys keep their default");
        let catalog = config.stat_catalog().unwrap();
        let wins = catalog.get("wins").unwrap();
        assert_eq!((wins.label.as_str(), wins.op, wins.max), ("Wins", crate::domain::Op::Max, Some(100)));
        assert!(catalog.get("meleeAtkXp").is_none());
    }

    #[test]
    fn the_twitch_section_reads_rules_and_keeps_other_defaults() {
        let config = load_text(
            "[twitch]\nbroadcaster_user_id = \"44429626\"\n[[twitch.rules]]\nevent = \"channel.cheer\"\n\
             stat = \"meleeAtkXp\"\nper_bit = 2\n[twitch.chat]\nstats = \"!xp\"\n",
        )
        .unwrap();
        assert_eq!(config.twitch.broadcaster_user_id, "44429626");
        assert_eq!(config.twitch.rules[0].per_bit, Some(2));
        assert_eq!((config.twitch.chat.stats.as_str(), config.twitch.chat.join.as_str()), ("!xp", "!join"));
        assert_eq!(config.twitch.helix_url, "https://api.twitch.tv/helix");
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("playerbase.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:1\"\ndatabase = \"file.db\"\n").unwrap();
        let overrides = Overrides { listen: Some("127.0.0.1:7".into()), database: None };
        let config = Config::load(Some(&path), &overrides).unwrap();
        assert_eq!((config.listen.as_str(), config.database.as_str()), ("127.0.0.1:7", "file.db"));
    }

    #[test]
    fn mistakes_are_errors_that_say_what_is_wrong() {
        let long_secret = format!("[twitch]\neventsub_secret = \"{}\"", "x".repeat(101));
        let cases = [
            ("tokens_seconds = 5", "tokens_seconds"),
            ("[auth]\nregistration = \"maybe\"", "registration"),
            ("[auth]\ntoken_seconds = 0", "token_seconds"),
            ("[auth]\naccess_seconds = 0", "access_seconds"),
            ("[auth]\naccess_seconds = 86401", "access_seconds"),
            ("[auth]\nrefresh_days = 0", "refresh_days"),
            ("[auth]\nrefresh_days = 3651", "refresh_days"),
            ("[[stats]]\nkey = \"a\"\n[[stats]]\nkey = \"A\"", "same ignoring case"),
            ("[[stats]]\nkey = \"a\"\nlevels = \"fibonacci\"", "fibonacci"),
            ("[[stats]]\nlabel = \"no key\"", "key"),
            ("stats = []", "at least one"),
            ("[twitch]\neventsub_secret = \"short\"", "10-100 characters"),
            (long_secret.as_str(), "10-100 characters"),
            ("[[twitch.rules]]\nevent = \"channel.follow\"\nstat = \"manaXp\"\namount = 1", "unknown stat"),
            ("[[twitch.rules]]\nevent = \"channel.follow\"\nstat = \"meleeAtkXp\"", "needs amount"),
            ("[[twitch.rules]]\nevent = \"channel.hug\"\nstat = \"meleeAtkXp\"", "unknown event"),
        ];
        for (text, expected) in cases {
            let err = load_text(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?} gave {err:?}");
        }
        let missing = Config::load(Some(Path::new("/nonexistent.toml")), &Overrides::default()).unwrap_err();
        assert!(matches!(missing, ConfigError::MissingFile(_)));
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(Some(dir.path()), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("is a directory, not a configuration file"), "{err}");
    }

    mod fuzz {
        use super::load_text;
        use proptest::prelude::*;

        const SECTIONS: [&str; 7] =
            ["", "[auth]\n", "[limits]\n", "[twitch]\n", "[twitch.chat]\n", "[[stats]]\n", "[[twitch.rules]]\n"];
        const KEYS: [&str; 16] = [
            "listen",
            "database",
            "public_url",
            "cors_origins",
            "token_seconds",
            "access_seconds",
            "refresh_days",
            "min_password_length",
            "registration",
            "key",
            "op",
            "levels",
            "min",
            "max",
            "login_per_ip",
            "eventsub_secret",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn any_text_is_loaded_or_refused_without_panicking(text in "\\PC{0,300}") {
                let _ = load_text(&text);
            }

            #[test]
            fn any_value_of_a_known_key_is_loaded_or_refused_without_panicking(
                section in prop::sample::select(SECTIONS.to_vec()),
                key in prop::sample::select(KEYS.to_vec()),
                value in prop_oneof!["-?[0-9]{1,25}", "\"\\PC{0,20}\"", "\\[(-?[0-9]{1,20}, ?){0,5}\\]", "true|false"],
            ) {
                let _ = load_text(&format!("{section}{key} = {value}\n"));
            }
        }
    }
}
