//! Game-data sheets for tests: copies of the shipped sheets, edited, built.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use summoner_gdata::{Compiled, compile, files};
use summoner_proto::gamedata::GameData;

/// The sheets shipped in the repository.
pub fn shipped_sheets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("gamedata/sheets")
}

/// The game-data version of the shipped sheets (`meta.csv`).
pub fn shipped_version() -> u32 {
    let meta = fs::read_to_string(shipped_sheets().join("meta.csv")).unwrap();
    meta.lines().find_map(|l| l.strip_prefix("version,")).and_then(|v| v.trim().parse().ok()).expect("a version row")
}

/// The `meta.csv` line of the shipped version (what a version edit replaces).
pub fn shipped_version_line() -> String {
    format!("version,{}", shipped_version())
}

/// A copy of the shipped sheets to edit.
pub fn sheets_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(shipped_sheets()).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Replaces the first occurrence of `from` in a sheet.
pub fn edit(dir: &Path, sheet: &str, from: &str, to: &str) {
    let path = dir.join(sheet);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{sheet} has no {from:?}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The shipped sheets with `edits` (sheet, from, to) applied, built.
pub fn build_with(edits: &[(&str, &str, &str)]) -> Compiled {
    let dir = sheets_copy();
    for (sheet, from, to) in edits {
        edit(dir.path(), sheet, from, to);
    }
    compile(dir.path()).expect("edited sheets build")
}

/// Writes a build with `version` and explore rewards fixed to `gold` and `exp` into `dir`.
pub fn write_version(dir: &Path, version: u32, gold: u32, exp: u32) {
    let compiled = build_with(&[
        ("meta.csv", &shipped_version_line(), &format!("version,{version}")),
        ("rules.csv", "explore_gold_min,20", &format!("explore_gold_min,{gold}")),
        ("rules.csv", "explore_gold_max,40", &format!("explore_gold_max,{gold}")),
        ("rules.csv", "explore_exp_min,10", &format!("explore_exp_min,{exp}")),
        ("rules.csv", "explore_exp_max,16", &format!("explore_exp_max,{exp}")),
        ("rules.csv", "explore_stamina_cost,3", "explore_stamina_cost,1"),
    ]);
    files::write(dir, &compiled).unwrap();
}

/// The shipped game data made quick to play, written to `dir` for a server to load: rich
/// new players (every pool and the clan fee affordable at once), a one-second friend
/// dungeon and two-second stages. The bot swarm's tests play it.
pub fn quick_play(dir: &Path) -> Arc<GameData> {
    let compiled = build_with(&[
        ("meta.csv", &shipped_version_line(), "version,900"),
        ("rules.csv", "new_user_gold,1000", "new_user_gold,100000"),
        ("rules.csv", "new_user_gems,100", "new_user_gems,20000"),
        ("rules.csv", "friend_dungeon_min_secs,20", "friend_dungeon_min_secs,1"),
        ("rules.csv", "clan_create_gold,10000", "clan_create_gold,500"),
        // The stages a short run reaches take 24–42 s to clear: a bot that starts one owes
        // its finish past the run's end and, waiting, never visits a friend's dungeon.
        ("stages.csv", ",3,24,160,20,90,5", ",3,2,160,20,90,5"),
        ("stages.csv", ",12,32,340,30,360,10", ",12,2,340,30,360,10"),
        ("stages.csv", ",22,42,540,40,660,15", ",22,2,540,40,660,15"),
    ]);
    files::write(dir, &compiled).expect("the edited build is written");
    Arc::new(compiled.data)
}
