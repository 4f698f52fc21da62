//! `summoner-audit`: audits of logged summons and battles from the command line. It opens the configured
//! databases read-only and the game-data archive (`summoner::service::audit::Reader`), runs the
//! audit the admin endpoint runs, and prints it. The server binary does not link this.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use summoner::config::Config;
use summoner::service::audit::{self, AuditError, PoolReport, Reader};
use summoner::service::battle_audit;

/// Audits of logged summons and battles: replay one draw or battle, or compare observed with
/// published rates.
#[derive(Debug, Parser)]
#[command(name = "summoner-audit", version, about)]
struct Cli {
    /// The server's TOML configuration file (defaults apply for what it does not set;
    /// SUMMONER_* environment variables override both).
    #[arg(long, short, global = true, env = "SUMMONER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// Play a logged battle (a stage battle or a friend dungeon visit) again from its line-up
    /// at the start (units and element advantages), its seed and the player's inputs, and say whether
    /// the result is the one the server paid by. Exit code 0: it matches; 1: it does not; 2: it
    /// could not be checked.
    ReplayBattle {
        /// The user.
        #[arg(long)]
        user: u64,
        /// The battle: its token (also its seed).
        #[arg(long)]
        token: u64,
    },
    /// Read the summon logs of every log shard and print, per pool and game-data version,
    /// observed against published rates with a chi-square p-value.
    Rates,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => return failed(&e.to_string()),
    };
    summoner::telemetry::init(&config.log);
    match cli.command {
        Command::ReplaySummon { user, draw } => replay_summon(&config, user, draw),
        Command::ReplayBattle { user, token } => replay_battle(&config, user, token),
        Command::Rates => rates(&config),
    }
}

/// Runs `work` on a reader of the configured databases (no migrations, no writers beside a
/// running server's) and the configured catalog.
fn with_reader<T>(config: &Config, work: impl AsyncFnOnce(&Reader) -> Result<T, AuditError>) -> Result<T, String> {
    actix_web::rt::System::new().block_on(async move {
        let reader = Reader::open(config).await?;
        work(&reader).await.map_err(|e| e.to_string())
    })
}

/// `replay-summon --user U --draw D`.
fn replay_summon(config: &Config, user: u64, draw: u64) -> ExitCode {
    match with_reader(config, async |r| audit::replay_summon(&r.store, &r.catalog, user, draw).await) {
        Ok(replay) => {
            let (l, r) = (&replay.logged, &replay.logged.record);
            println!("draw: user {} monster id {} (log row {})", l.user_id, r.monster_id, l.log_id);
            println!(
                "  pool {} under game-data version {}, stream position {}, pity {}",
                r.pool, r.version, r.position, r.pity
            );
            println!("  logged:   {} (rarity {}, by pity: {})", r.monster, r.rarity, r.by_pity);
            println!(
                "  replayed: {} (rarity {}, by pity: {}) from the user's seed",
                replay.replayed_monster, replay.replayed_rarity, replay.replayed_by_pity
            );
            verdict(replay.matches)
        }
        Err(e) => failed(&e),
    }
}

/// `replay-battle --user U --token T`.
fn replay_battle(config: &Config, user: u64, token: u64) -> ExitCode {
    match with_reader(config, async |r| battle_audit::replay_battle(&r.store, user, token).await) {
        Ok(replay) => {
            let l = &replay.logged;
            println!(
                "battle: user {} token {} ({}, log rows {} and {}) under game-data version {}",
                l.user_id, l.token, l.kind, l.start_log_id, l.finish_log_id, l.version
            );
            println!("  {} against {} units, {} inputs", l.lineup.team.len(), l.lineup.enemies.len(), l.inputs.len());
            println!("  logged:   won {} stars {} turns {}", l.won, l.stars, l.turns);
            let r = &replay.replayed;
            println!("  replayed: won {} stars {} turns {} ({} hits)", r.won, r.stars, r.turns, r.hits.len());
            verdict(replay.matches)
        }
        Err(e) => failed(&e),
    }
}

/// Prints whether a replay matched what was logged, and answers its exit code (0 or 1).
fn verdict(matches: bool) -> ExitCode {
    println!("{}", if matches { "MATCH" } else { "MISMATCH" });
    if matches { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Prints why an audit could not be made, and answers exit code 2.
fn failed(error: &str) -> ExitCode {
    eprintln!("summoner-audit: {error}");
    ExitCode::from(2)
}

/// `rates`.
fn rates(config: &Config) -> ExitCode {
    match with_reader(config, async |r| audit::rates(&r.store, &r.catalog).await) {
        Ok(reports) => {
            if reports.is_empty() {
                println!("no summons logged");
            }
            for report in &reports {
                print_report(report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

fn print_report(report: &PoolReport) {
    println!(
        "{} (game data v{}): {} draws, {} decided by pity (not counted below)",
        report.pool, report.version, report.draws, report.pity_draws
    );
    let counted = (report.draws - report.pity_draws).max(1) as f64;
    println!("  {:<28} {:>9} {:>10} {:>10}", "rarity / monster", "drawn", "observed", "published");
    for (rarity, seen, p) in &report.rarities {
        println!("  rarity {rarity:<21} {seen:>9} {:>9.4}% {:>9.4}%", *seen as f64 / counted * 100.0, p * 100.0);
    }
    for (monster, seen, p) in &report.monsters {
        println!("    {monster:<26} {seen:>9} {:>9.4}% {:>9.4}%", *seen as f64 / counted * 100.0, p * 100.0);
    }
    // "expected": the base and forced odds weighed by the draws the log shows forced (what a
    // fair log matches); "long run": the consolidated odds GetSummonRates publishes.
    println!(
        "  {:<28} {:>9} {:>10} {:>10} {:>10}",
        "all draws (pity included)", "drawn", "observed", "expected", "long run"
    );
    let all = report.draws.max(1) as f64;
    for (rarity, seen, expected, p) in &report.consolidated {
        println!(
            "  rarity {rarity:<21} {seen:>9} {:>9.4}% {:>9.4}% {:>9.4}%",
            *seen as f64 / all * 100.0,
            expected * 100.0,
            p * 100.0
        );
    }
    for (name, test) in [("rarities", report.rarity_test), ("monsters", report.monster_test)] {
        match test {
            Some(t) => println!(
                "  chi-square over {name}: {:.3} with {} degrees of freedom, p = {:.4}",
                t.statistic, t.degrees_of_freedom, t.p_value
            ),
            None => println!("  chi-square over {name}: too few draws to test"),
        }
    }
}
