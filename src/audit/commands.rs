//! `summoner audit replay-summon` and `summoner audit rates`: open the configured databases
//! and game-data archive, run the audit, print it.

use std::process::ExitCode;

use crate::audit::{self, AuditError, PoolReport};
use crate::config::Config;
use crate::game::catalog::Catalog;
use crate::server::{open_catalog, store_config};
use crate::storage::db_store::DbStore;

/// Runs `work` on a reader of the configured databases (no migrations, no writers beside a
/// running server's) and the configured catalog.
fn with_store<T>(
    config: &Config,
    work: impl AsyncFnOnce(&DbStore, &Catalog) -> Result<T, AuditError>,
) -> Result<T, String> {
    let catalog = open_catalog(config).map_err(|e| format!("game data: {e}"))?;
    let settings = store_config(config);
    actix_web::rt::System::new().block_on(async move {
        let store = DbStore::open_reader(&settings).await.map_err(|e| format!("storage: {e}"))?;
        work(&store, &catalog).await.map_err(|e| e.to_string())
    })
}

/// `audit replay-summon --user U --draw D`.
pub fn replay_summon(config: &Config, user: u64, draw: u64) -> ExitCode {
    match with_store(config, async |store, catalog| audit::replay_summon(store, catalog, user, draw).await) {
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
            if replay.matches {
                println!("MATCH");
                ExitCode::SUCCESS
            } else {
                println!("MISMATCH");
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("summoner: {e}");
            ExitCode::from(2)
        }
    }
}

/// `audit rates`.
pub fn rates(config: &Config) -> ExitCode {
    match with_store(config, async |store, catalog| audit::rates(store, catalog).await) {
        Ok(reports) => {
            if reports.is_empty() {
                println!("no summons logged");
            }
            for report in &reports {
                print_report(report);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("summoner: {e}");
            ExitCode::from(2)
        }
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
