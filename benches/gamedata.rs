//! Game data: build time of the shipped sheets, load time of the compiled files, their
//! sizes and the resident memory one loaded version takes.
//! Run: `cargo bench --bench gamedata`.

use std::hint::black_box;
use std::path::Path;

use criterion::Criterion;
use summoner::game::data::GameData;
use summoner_gdata::compile;

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sizes of the compiled files and the memory of loaded versions, printed once.
fn report(compiled: &Path) {
    for entry in std::fs::read_dir(compiled).expect("compiled folder") {
        let entry = entry.expect("entry");
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        println!("file {}: {size} bytes", entry.file_name().to_string_lossy());
    }
    const COPIES: u64 = 200;
    let before = resident_kib().unwrap_or(0);
    let held: Vec<GameData> = (0..COPIES).map(|_| GameData::load(compiled).expect("loads")).collect();
    let after = resident_kib().unwrap_or(0);
    println!(
        "resident memory per loaded version: {} KiB (over {COPIES} copies held)",
        after.saturating_sub(before) / COPIES
    );
    drop(held);
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sheets = root.join("gamedata/sheets");
    let compiled = root.join("gamedata/compiled");
    report(&compiled);
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("gdata build (shipped sheets)", |b| b.iter(|| black_box(compile(&sheets).expect("builds"))));
    c.bench_function("gamedata load (read, hash check, index)", |b| {
        b.iter(|| black_box(GameData::load(&compiled).expect("loads")))
    });
    c.final_summary();
}
