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
#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the game API (the default).
    Serve,
    /// Apply pending database migrations to the common and clan databases and to every
    /// shard in the registry (seeding it from the configuration), then list the shards.
    Migrate,
    /// Game data: build the sheets into protobuf files, or diff two builds.
    Gdata {
        #[command(subcommand)]
        command: GdataCommand,
    },
}

/// `summoner gdata ...`
#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum GdataCommand {
    /// Check the sheets and compile them to gamedata.pb and string.LANG.pb. Nothing is
    /// written when a check fails.
    Build {
        /// Folder of the CSV sheets.
        #[arg(long, default_value = "gamedata/sheets")]
        sheets: PathBuf,
        /// Folder the compiled files go to.
        #[arg(long, default_value = "gamedata/compiled")]
        out: PathBuf,
    },
    /// Print what differs between two builds (folders of compiled files). Exit code 0: the
    /// same content; 1: different; 2: a build could not be read.
    Diff { old: PathBuf, new: PathBuf },
}
