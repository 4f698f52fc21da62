//! The operation registry: every operation of `proto/api.proto` (the list `summoner-proto`
//! generates from it) has its handler (a line of the dispatch table, or the accounts service
//! for Register and Login), its row in `docs/PROTOCOL.md`, and its bots coverage (a
//! behaviour of `summoner-bots` plays it, or the bots say why not). Adding an operation
//! without one of them fails here, naming what is missing.

use std::collections::BTreeSet;

use summoner::game::dispatch::SERVED;
use summoner_bots::mix::{Behaviour, NOT_PLAYED};
use summoner_bots::player::SHAPES;
use summoner_proto::api::OPERATIONS;

/// Served without a session, by the accounts service.
const BY_ACCOUNTS: [&str; 2] = ["Register", "Login"];

fn protocol_doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).expect("docs/PROTOCOL.md reads")
}

/// The operation fields the bots' behaviours send.
fn played() -> BTreeSet<&'static str> {
    Behaviour::ALL
        .iter()
        .flat_map(|b| b.operations())
        .map(|label| SHAPES.iter().find(|(shape, _)| shape == label).map_or(*label, |(_, field)| *field))
        .collect()
}

#[test]
fn every_operation_has_its_handler_its_docs_row_and_its_bots_coverage() {
    let doc = protocol_doc();
    let played = played();
    let mut missing = Vec::new();
    for op in OPERATIONS {
        if !SERVED.contains(&op.name) && !BY_ACCOUNTS.contains(&op.name) {
            missing.push(format!("{}: no line in the dispatch table (src/game/dispatch.rs)", op.name));
        }
        if !doc.contains(&format!("\n| `{}` |", op.field)) {
            missing.push(format!("{}: no row `| `{}` |` in docs/PROTOCOL.md's operations", op.name, op.field));
        }
        let excused = NOT_PLAYED.iter().any(|(field, _)| *field == op.field);
        if !played.contains(op.field) && !excused {
            missing.push(format!(
                "{}: no bot behaviour plays {} and tools/bots/src/mix.rs's NOT_PLAYED does not say why",
                op.name, op.field
            ));
        }
        if played.contains(op.field) && excused {
            missing.push(format!("{}: played by a behaviour, yet listed in NOT_PLAYED", op.name));
        }
    }
    assert!(missing.is_empty(), "operations incomplete:\n{}", missing.join("\n"));
}

#[test]
fn the_registries_name_only_operations_of_the_protocol() {
    let fields: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.field).collect();
    let names: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.name).collect();
    let strays: Vec<String> = SERVED
        .iter()
        .filter(|s| !names.contains(**s))
        .map(|s| format!("dispatch table: {s}"))
        .chain(played().into_iter().filter(|f| !fields.contains(f)).map(|f| format!("bots: {f}")))
        .chain(NOT_PLAYED.iter().filter(|(f, _)| !fields.contains(f)).map(|(f, _)| format!("NOT_PLAYED: {f}")))
        .collect();
    assert!(strays.is_empty(), "names no operation of proto/api.proto: {strays:?}");
    assert!(OPERATIONS.len() > 40, "the list is generated from the whole oneof");
}
