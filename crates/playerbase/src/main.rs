mod allocator;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use playerbase::commands;
use playerbase::config::{Config, Overrides};
use playerbase::domain::Scope;
use playerbase::store::serve_lock::ServeLock;

/// Player accounts and player stats for games played through Twitch.
#[derive(Parser)]
#[command(name = "playerbase", version)]
struct Cli {
    /// SQLite file path, sqlite: URL or postgres:// URL (default: playerbase.db).
    #[arg(long, global = true)]
    database: Option<String>,
    /// TOML configuration file.
    #[arg(long, global = true, env = "PLAYERBASE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on (default: 127.0.0.1:5000).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Manage the API keys game servers and bots use.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Import the Flask API's players, passwords and stats, keeping their ids.
    ImportFlask {
        /// The Flask API's SQLite database (its `users` table).
        flask_db: PathBuf,
        /// Check every row and print the report, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the live SQLite database to FILE without stopping the server.
    Backup {
        /// Where to write the copy; must not exist.
        file: PathBuf,
    },
    /// Copy a whole SQLite database into an empty PostgreSQL database, ids,
    /// password hashes, sessions and API keys included.
    MigrateDatabase {
        /// The SQLite database: a file path or sqlite: URL (default: --database, or the configured database).
        #[arg(long)]
        from: Option<String>,
        /// The PostgreSQL database: a postgres:// URL. Created tables must be empty.
        #[arg(long)]
        to: String,
    },
    /// Twitch: set up what the `[twitch]` configuration needs.
    #[command(subcommand)]
    Twitch(TwitchCommand),
}

#[derive(Subcommand)]
enum TwitchCommand {
    /// Create the EventSub subscriptions the rules and chat commands need
    /// (and stream.online/offline), delivered to {public_url}/api/v1/twitch/eventsub.
    Subscribe,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it, alone on stdout, this once.
    Create {
        #[arg(long)]
        name: String,
        /// players:write, awards:write or admin; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
    },
    /// List every key (never the keys themselves).
    List,
    /// Revoke the live key of that name at once.
    Revoke { name: String },
}

fn main() -> ExitCode {
    allocator::return_large_blocks_to_the_system();
    let cli = Cli::parse();
    let log = playerbase::logging::init();
    let result = run(cli);
    // Writes out the log lines still waiting, before the error below.
    drop(log);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("playerbase: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `database` is a PostgreSQL URL (whose server says for itself) or an existing SQLite file.
fn database_exists(database: &str) -> anyhow::Result<bool> {
    Ok(playerbase::store::is_postgres(database) || playerbase::store::sqlite_file(database)?.is_file())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let (Command::MigrateDatabase { from: Some(from), .. }, Some(database)) = (&cli.command, &cli.database)
        && from != database
    {
        anyhow::bail!("--from {from} and --database {database} name two databases: give the SQLite database once");
    }
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        Command::ApiKey(_)
        | Command::ImportFlask { .. }
        | Command::Backup { .. }
        | Command::MigrateDatabase { .. }
        | Command::Twitch(_) => None,
    };
    let config = Config::load(cli.config.as_deref(), &Overrides { listen, database: cli.database })?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve { .. } => {
                // Which file configured this server, if any: the environment and flags may override it.
                match &cli.config {
                    Some(path) => tracing::info!(config = %path.display(), "configuration file read"),
                    None => tracing::info!("no configuration file: defaults, PLAYERBASE_* and flags"),
                }
                allocator::return_freed_memory_every(std::time::Duration::from_secs(5));
                playerbase::run(config, playerbase::shutdown_signal()).await
            }
            Command::ApiKey(command) => {
                // A mistyped --database would otherwise make a key for a database no server uses.
                let new_database = !database_exists(&config.database)?;
                let store = playerbase::store::open(&config.database).await?;
                if new_database {
                    eprintln!("playerbase: there was no database at {}; created a new, empty one", config.database);
                }
                let now = playerbase::Clock::default().now();
                let result = match command {
                    ApiKeyCommand::Create { name, scopes } => {
                        commands::api_key::create(store.as_ref(), &name, &scopes, now, &mut std::io::stdout()).await
                    }
                    ApiKeyCommand::List => commands::api_key::list(store.as_ref(), &mut commands::report_out()).await,
                    ApiKeyCommand::Revoke { name } => {
                        let revoked = commands::api_key::revoke(store.as_ref(), &name, now).await;
                        if revoked.is_ok() {
                            eprintln!("playerbase: revoked the API key {name:?}; servers refuse it within a second");
                        }
                        revoked
                    }
                };
                store.close().await;
                result
            }
            Command::ImportFlask { flask_db, dry_run } => {
                let catalog = config.stat_catalog()?;
                let flask = commands::import_flask::read_flask(&flask_db).await?;
                // A running server would leave the imported players off its leaderboards, built at start.
                let _no_server = match dry_run {
                    true => None,
                    false => match playerbase::store::serve_lock::take(&config.database)? {
                        ServeLock::Serving(file) => anyhow::bail!(
                            "a `playerbase serve` is serving {}: stop it, import, then start it again (it builds \
                             its leaderboards at start and would leave the imported players off them)",
                            file.display()
                        ),
                        held => Some(held),
                    },
                };
                // A dry run writes nothing: where the database is not there yet, it
                // checks against an empty one of its own, in a private directory
                // (a random name, only ours to read) that goes when dropped.
                let scratch = (dry_run && !database_exists(&config.database)?).then(tempfile::tempdir).transpose()?;
                let database = match &scratch {
                    Some(dir) => dir.path().join("dry-run.db").to_string_lossy().into_owned(),
                    None => config.database.clone(),
                };
                let store = playerbase::store::open(&database).await?;
                let now = playerbase::Clock::default().now();
                let result = commands::import_flask::run(
                    store.as_ref(),
                    &catalog,
                    &flask,
                    dry_run,
                    now,
                    &mut commands::report_out(),
                )
                .await;
                store.close().await;
                drop(scratch);
                result.map(|_| ())
            }
            Command::Backup { file } => {
                commands::backup::check(&config.database, &file)?;
                let store = playerbase::store::open(&config.database).await?;
                let result = commands::backup::run(store.as_ref(), &config.database, &file).await;
                store.close().await;
                if result.is_ok() {
                    eprintln!("playerbase: backup written to {}", file.display());
                }
                result
            }
            Command::Twitch(TwitchCommand::Subscribe) => {
                let report = commands::twitch_subscribe::run(&config, &mut commands::report_out()).await?;
                eprintln!(
                    "playerbase: {} subscription(s) created, {} already there",
                    report.created.len(),
                    report.existing.len()
                );
                Ok(())
            }
            Command::MigrateDatabase { from, to } => {
                let from = from.unwrap_or(config.database);
                commands::migrate_database::run(&from, &to, &mut commands::report_out()).await?;
                eprintln!("playerbase: migrated the SQLite database into PostgreSQL");
                Ok(())
            }
        }
    })
}
