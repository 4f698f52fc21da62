//! `summoner-gdata`: build the sheets into protobuf files, or diff two builds.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use summoner_gdata::commands;

/// Summoner's game-data compiler.
#[derive(Debug, Parser)]
#[command(name = "summoner-gdata", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build { sheets, out, archive, replace_archived } => {
            commands::build(&sheets, &out, &archive, replace_archived)
        }
        Command::Diff { old, new } => commands::diff_builds(&old, &new),
    }
}
