//! `summoner-bots`: a bot swarm against running servers (see `summoner_bots::command`).

use std::process::ExitCode;

use clap::Parser;
use summoner_bots::command::{BotsArgs, run};

fn main() -> ExitCode {
    run(&BotsArgs::parse())
}
