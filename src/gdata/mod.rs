//! Game-data tooling: designers' sheets (`gamedata/sheets/*.csv`) compiled into versioned
//! protobuf files (`gamedata.pb`, `string.LANG.pb`), checked, diffed and read back.
//!
//! The server side of game data (turning a compiled set into what handlers read, and
//! swapping it at run time) is in `crate::game::data` and `crate::game::catalog`.

pub mod commands;
pub mod compile;
pub mod diff;
pub mod files;
pub mod links;
pub mod problem;
pub mod sheet;

pub use compile::{Compiled, compile};
pub use problem::Problem;
