//! The `summoner-gdata` subcommands: what they print and their exit codes.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use summoner_proto::files::{self, Compiled, archived};

use crate::compile;
use crate::diff::{Change, diff};

/// `gdata build`: compile `sheets` into `out` and into the archive (`archive/v<N>`); exit 1
/// listing every problem, or when the archive holds other content for this version (unless
/// `replace_archived`).
pub fn build(sheets: &Path, out: &Path, archive: &Path, replace_archived: bool) -> ExitCode {
    let started = Instant::now();
    let compiled = match compile(sheets) {
        Ok(compiled) => compiled,
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            eprintln!("{} problem(s) in {}; nothing written", problems.len(), sheets.display());
            return ExitCode::FAILURE;
        }
    };
    let kept = archived(archive, compiled.data.version);
    if let Ok(old) = files::read(&kept)
        && old.data.content_hash != compiled.data.content_hash
        && !replace_archived
    {
        eprintln!(
            "error: {} holds another build of version {}: raise the version in meta.csv (or pass --replace-archived for a version never deployed)",
            kept.display(),
            compiled.data.version
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) = files::write(&kept, &compiled) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match files::write(out, &compiled) {
        Ok(paths) => {
            for path in paths {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                println!("wrote {} ({size} bytes)", path.display());
            }
            println!(
                "version {} content {} built in {:.1} ms",
                compiled.data.version,
                compiled.data.content_hash,
                started.elapsed().as_secs_f64() * 1000.0
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `gdata diff`: every change between two compiled folders.
pub fn diff_builds(old: &Path, new: &Path) -> ExitCode {
    let (old, new) = match (files::read(old), files::read(new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let changes = changes(&old, &new);
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "version {} -> {}", old.data.version, new.data.version);
    for change in &changes {
        let _ = writeln!(stdout, "{change}");
    }
    if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Every change from `old` to `new`: game data first, then each language's strings.
pub fn changes(old: &Compiled, new: &Compiled) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::new();
    changes.extend(diff(&json(&old.data), &json(&new.data)));
    for language in old.strings.iter().map(|s| &s.language).chain(new.strings.iter().map(|s| &s.language)) {
        let find = |set: &Compiled| set.strings.iter().find(|s| &s.language == language).map(json);
        let (a, b) = (find(old).unwrap_or_default(), find(new).unwrap_or_default());
        for change in diff(&a, &b) {
            let prefixed = |p: &str| format!("string.{language}.{p}");
            let change = match change {
                Change::Removed { path, old } => Change::Removed { path: prefixed(&path), old },
                Change::Added { path, new } => Change::Added { path: prefixed(&path), new },
                Change::Modified { path, old, new } => Change::Modified { path: prefixed(&path), old, new },
            };
            if !changes.contains(&change) {
                changes.push(change);
            }
        }
    }
    changes
}

/// A compiled message as a JSON tree for the diff.
fn json<T: serde::Serialize>(message: &T) -> serde_json::Value {
    serde_json::to_value(message).unwrap_or(serde_json::Value::Null)
}
