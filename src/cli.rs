//! The `summoner` command line. Subcommands only parse arguments and call the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Summoner: an actor-model game backend.
#[derive(Debug, Parser)]
#[command(name = "summoner", version, about)]
pub struct Cli {
    /// TOML configuration file (defaults apply for what it does not set; SUMMONER_*
    /// environment variables override both).
    #[arg(long, short, global = true, env = "SUMMONER_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when omitted.
#[derive(Debug, Subcommand, Clone, PartialEq)]
pub enum Command {
    /// Serve the game API (the default).
    Serve,
    /// Apply pending database migrations to the common and clan databases and to every
    /// shard in the registry (seeding it from the configuration), then list the shards.
    Migrate,
    /// Configuration: check a file without starting the server.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// `summoner config ...`
#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum ConfigCommand {
    /// Read FILE as the server would (defaults, the file, then SUMMONER_* variables), check
    /// every value, and print what it sets up; nothing is opened or connected. Exit code 0:
    /// valid; 1: not (the reason is printed).
    Check {
        /// The TOML configuration file.
        file: PathBuf,
    },
}
