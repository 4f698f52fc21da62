//! The `summoner` binary: parses the command line and runs the chosen subcommand.

use std::process::ExitCode;

use clap::Parser;
use summoner::cli::{Cli, Command, GdataCommand};
use summoner::config::Config;
use summoner::gdata::commands;
use summoner::{server, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Gdata { command }) = &cli.command {
        return match command {
            GdataCommand::Build { sheets, out } => commands::build(sheets, out),
            GdataCommand::Diff { old, new } => commands::diff_builds(old, new),
        };
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("summoner: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&config.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Gdata { .. } => ExitCode::SUCCESS,
    }
}

fn serve(config: Config) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let running = server::start(config).await.map_err(|e| e.to_string())?;
        running.wait().await.map_err(|e| format!("server failed: {e}"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "summoner stopped");
            eprintln!("summoner: {e}");
            ExitCode::FAILURE
        }
    }
}
