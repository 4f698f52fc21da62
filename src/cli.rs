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
    /// Audits of logged summons: replay one draw, or compare observed with published rates.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// `summoner audit ...`
#[derive(Debug, Subcommand, Clone, PartialEq, Eq)]
pub enum AuditCommand {
    /// Recompute a logged draw from the user's seed, the stream position and the game-data
    /// version it was drawn with, and say whether it matches. Exit code 0: it matches; 1: it
    /// does not; 2: it could not be checked.
    ReplaySummon {
        /// The user.
        #[arg(long)]
        user: u64,
        /// The draw: the id of the monster it gave.
        #[arg(long)]
        draw: u64,
    },
    /// Read the summon logs of every log shard and print, per pool and game-data version,
    /// observed against published rates with a chi-square p-value.
    Rates,
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
        /// Folder of every version built (`v<N>/`), kept so old summons can be replayed.
        #[arg(long, default_value = "gamedata/archive")]
        archive: PathBuf,
        /// Overwrite the archived build of this version even if its content differs (only
        /// for a version never deployed).
        #[arg(long)]
        replace_archived: bool,
    },
    /// Print what differs between two builds (folders of compiled files). Exit code 0: the
    /// same content; 1: different; 2: a build could not be read.
    Diff { old: PathBuf, new: PathBuf },
}
