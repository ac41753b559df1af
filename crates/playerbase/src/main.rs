use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use playerbase::config::{Config, Overrides};
use tracing_subscriber::EnvFilter;

/// Player accounts and player stats for games played through Twitch.
#[derive(Parser)]
#[command(name = "playerbase", version)]
struct Cli {
    /// SQLite file path or sqlite: URL (default: playerbase.db).
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("playerbase: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Command::Serve { listen } = cli.command;
    let overrides = Overrides { listen, database: cli.database };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(playerbase::run(config, playerbase::shutdown_signal()))
}
