//! The `summoner` command line. Subcommands only parse arguments and call the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Game data: build the sheets into protobuf files, or diff two builds.
    Gdata {
        #[command(subcommand)]
        command: GdataCommand,
    },
    /// A swarm of bots that play the game against a running server: a live display while
    /// they play, then a report per operation, and a check that the server kept every
    /// write it acknowledged. Exit code 0: no error and the check clean; 1: not; 2: the run
    /// could not start.
    Bots(BotsArgs),
    /// Audits of logged summons: replay one draw, or compare observed with published rates.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
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

/// `summoner bots ...`
#[derive(Debug, Args, Clone, PartialEq)]
pub struct BotsArgs {
    /// An API endpoint to play against; repeat it to spread the bots over several servers.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080/api")]
    pub urls: Vec<String>,
    /// How many bots.
    #[arg(long, default_value_t = 100)]
    pub bots: usize,
    /// Seconds the bots play once all have started.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seconds over which the bots start, evenly spread.
    #[arg(long, default_value_t = 10)]
    pub ramp_up: u64,
    /// Requests per second per bot (the seed game's players: 0.07), at random (Poisson)
    /// times; latency counts from when each request was meant to go.
    #[arg(long, default_value_t = 0.07, conflicts_with = "closed_loop")]
    pub rate: f64,
    /// Each bot sends its next request as soon as its last one is answered.
    #[arg(long)]
    pub closed_loop: bool,
    /// Behaviour weights (TOML, `behaviour = weight`); the shipped default mix otherwise.
    #[arg(long)]
    pub mix: Option<PathBuf>,
    /// Seed of the bots' choices; the same seed and prefix play the same accounts again.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Prefix of the bots' device ids (and of the clans they found).
    #[arg(long, default_value = "bot")]
    pub accounts: String,
    /// Milliseconds before a request is sent again with the same seq.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw throughput, latency and errors over time to FILE.png and FILE.svg.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// A server's admin base URL (its admin listener, e.g. http://127.0.0.1:9090); repeat it for each server
    /// the bots play against: every actor is passivated before the check, so it compares
    /// the ledgers with what storage holds.
    #[arg(long = "admin-url")]
    pub admin_urls: Vec<String>,
    /// The admin bearer token.
    #[arg(long, env = "SUMMONER_ADMIN__TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Skip the consistency check.
    #[arg(long)]
    pub no_check: bool,
    /// No live display (for logs and CI).
    #[arg(long)]
    pub quiet: bool,
}
