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
#[derive(Debug, Subcommand, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Serve the game API (the default).
    Serve,
}
