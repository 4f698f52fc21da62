//! The game-data compiler: designers' sheets (`gamedata/sheets/*.csv`) checked and compiled
//! into versioned protobuf files (`gamedata.pb`, `string.LANG.pb`), and two builds diffed.
//!
//! It shares only `summoner-proto` with the server: the schema and the files' format
//! (`summoner_proto::files`). The server reads what this writes; it never links this crate.

pub mod commands;
pub mod compile;
pub mod diff;
pub mod links;
pub mod problem;
pub mod sheet;

pub use compile::{Compiled, compile};
pub use problem::Problem;
pub use summoner_proto::files;
