//! The `summoner` binary: parses the command line and runs the chosen subcommand.

use std::process::ExitCode;

use clap::Parser;
use summoner::cli::{Cli, Command, ConfigCommand};
use summoner::config::Config;
use summoner::storage::db_store::migrate_all;
use summoner::{server, telemetry};

/// The allocator of the server process (the only place it is chosen): mimalloc, counted for
/// `summoner_allocations_total`. On the mix over HTTP with PostgreSQL and Redis mimalloc
/// served 1.15× the requests per second of the system allocator at 0.79× the server's CPU
/// per request (`benches/e2e --compare`, 4 passes).
#[global_allocator]
static ALLOCATOR: summoner::allocations::Counting<mimalloc::MiMalloc> =
    summoner::allocations::Counting(mimalloc::MiMalloc);

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Config { command: ConfigCommand::Check { file } }) = &cli.command {
        return match Config::load(Some(file))
            .map_err(|e| e.to_string())
            .and_then(|config| server::check_config(&config).map(|()| config))
        {
            Ok(config) => {
                print!("{}", config.summary());
                println!("ok: {} is a valid configuration", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("summoner: {}: {e}", file.display());
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("summoner: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _sentry = telemetry::init_sentry(&config.sentry);
    telemetry::init(&config.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(config),
        Command::Config { .. } => ExitCode::SUCCESS,
    }
}

fn serve(config: Config) -> ExitCode {
    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let running = server::start(config).await.map_err(|e| e.to_string())?;
        running.wait().await.map_err(|e| format!("server failed: {e}"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "summoner stopped");
            eprintln!("summoner: {e}");
            // The runtime is not torn down: a server that failed half-way through starting
            // has actors (the storage's) that never ran, and dropping them under a stopping
            // runtime only adds noise to the line that matters. The process ends right after
            // (and the error reporter still flushes as `main` returns).
            std::mem::forget(system);
            ExitCode::FAILURE
        }
    }
}

fn migrate(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("summoner: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now_ms = summoner_actors::Clock::now_ms(&summoner_actors::SystemClock);
    match runtime.block_on(migrate_all(&summoner::service::open::store_config(&config), now_ms)) {
        Ok(shards) => {
            println!("migrated: common, clan and {} shard(s)", shards.len());
            for shard in shards {
                let location = summoner::urls::redact(&shard.location);
                let state = if shard.in_use { "in use" } else { "not in use" };
                println!("  {} shard {} ({state}): {location}", shard.kind, shard.shard_no);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("summoner: {e}");
            ExitCode::FAILURE
        }
    }
}
