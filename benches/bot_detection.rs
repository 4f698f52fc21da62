//! How well the bot scores (`bot_scores` job, `summoner::service::bot_scoring`) tell macros
//! from people: three days of synthetic action logs from the swarm's pacing models
//! (`summoner_bots::pacing`: people at a human pace, some of them gifting to friends; macros
//! on a scripted loop at a machine-regular period, some farming in closed gift rings), scored
//! by the server's own job over the in-memory store, then precision and recall of "score at
//! least the threshold" against who is a macro.
//!
//! The human traces are synthetic (textbook shapes, not real players), so these figures say
//! how the detector behaves on this model, not on a live game.
//!
//! `cargo bench --bench bot_detection` (options: `-- --people N --macros M --seed S
//! --jitter-pct P`, the macros' random delay as a share of their period; 0: a scheduler's
//! 20 ms).

use std::sync::Arc;

use summoner::game::data::GameData;
use summoner::service::bot_scoring::BotScoring;
use summoner::service::catalog::Catalog;
use summoner::storage::memory::MemoryStore;
use summoner::storage::{ActionLog, Store, UserShards};
use summoner_bots::pacing::{Player, SCHEDULER_JITTER_MS, trace};

/// The macros' periods (ms): one loop every 15 s to 2 min.
const PERIODS: [i64; 4] = [15_000, 30_000, 60_000, 120_000];

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let (people, macros, seed) = (arg("--people", 400), arg("--macros", 40), arg("--seed", 1));
    let jitter_pct = arg("--jitter-pct", 0).min(99) as i64;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(measure(people, macros, seed, jitter_pct));
}

async fn measure(people: u64, macros: u64, seed: u64, jitter_pct: i64) {
    let data = GameData::embedded().expect("the embedded game data");
    let reset = data.reset.clone();
    let catalog = Arc::new(Catalog::new(data, None));
    let store = Arc::new(MemoryStore::new());
    // Three whole game days, scored on the last.
    let now = 1_800_000_000_000;
    let day = reset.last_reset(reset.last_reset(now) - 1);
    let first = reset.last_reset(reset.last_reset(day - 1) - 1);
    // People are users 1..=people; macros follow. A person's friends are people; half the
    // macros farm in rings of four.
    let person = |i: u64| 1 + i;
    let bot = |i: u64| 1 + people + i;
    let mut players = Vec::new();
    for i in 0..people {
        let friends: Vec<u64> = if i % 3 == 0 {
            (1..=4).map(|k| person((i * 7 + k * 13) % people)).filter(|f| *f != person(i)).collect()
        } else {
            Vec::new()
        };
        players.push((person(i), Player::Human { friends }, false));
    }
    for i in 0..macros {
        let ring: Vec<u64> = if i % 2 == 0 {
            let base = i - i % 8;
            (base..(base + 8).min(macros)).step_by(2).filter(|k| *k != i).map(bot).collect()
        } else {
            Vec::new()
        };
        let period_ms = PERIODS[(i as usize) % PERIODS.len()];
        let jitter_ms = if jitter_pct == 0 { SCHEDULER_JITTER_MS } else { period_ms * jitter_pct / 100 };
        players.push((bot(i), Player::Macro { period_ms, jitter_ms, ring }, true));
    }
    let mut actions = 0;
    for (user, player, _) in &players {
        let logs: Vec<ActionLog> = trace(player, seed.wrapping_mul(1_000_003) + user, first, 3)
            .into_iter()
            .map(|t| ActionLog {
                user_id: *user,
                action: t.action,
                params: t.params,
                result: String::new(),
                at_ms: t.at_ms,
            })
            .collect();
        actions += logs.len();
        store.append_logs(UserShards::default(), logs).await.expect("logs appended");
    }
    let started = std::time::Instant::now();
    let scoring = BotScoring::new(store.clone(), catalog);
    let scored = scoring.score_day(day, now).await.expect("the day scored");
    let took = started.elapsed();
    let rows = store.top_bot_scores(day, usize::MAX).await.expect("scores read");
    let is_macro = |user: u64| players.iter().any(|(u, _, m)| *u == user && *m);
    println!(
        "bot detection: {people} people (synthetic human pace), {macros} macros (jitter {}), seed {seed}: {actions} actions over 3 days, {scored} users scored on the last in {:.2} s",
        if jitter_pct == 0 { "20 ms".to_owned() } else { format!("{jitter_pct}% of the period") },
        took.as_secs_f64()
    );
    let scored_macros = rows.iter().filter(|r| is_macro(r.user_id)).count();
    println!("{scored_macros} of the {macros} macros were scored (a macro not scored counts as missed)");
    println!("threshold  precision  recall  flagged");
    for threshold in [0.4, 0.5, 0.6, 0.7, 0.8] {
        let flagged: Vec<u64> =
            rows.iter().filter(|r| r.score_milli as f64 >= threshold * 1000.0).map(|r| r.user_id).collect();
        let hits = flagged.iter().filter(|u| is_macro(**u)).count();
        let precision = match flagged.len() {
            0 => "n/a".to_owned(),
            n => format!("{:.3}", hits as f64 / n as f64),
        };
        let recall = match macros {
            0 => "n/a".to_owned(),
            n => format!("{:.3}", hits as f64 / n as f64),
        };
        println!("{threshold:>9.1}  {precision:>9}  {recall:>6}  {:>7}", flagged.len());
    }
}
