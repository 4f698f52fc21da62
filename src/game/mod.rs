//! Game logic: the user's state, game data, and the pure handlers of each operation.
//!
//! Nothing under this module does I/O: no file system, no actor, no global counter. It
//! turns what a request did into storage's row writes; the service core
//! (`crate::service::backend::GameBackend`) runs it and makes those writes durable.

pub mod battle_sim;
pub mod bot_score;
pub mod calendar;
pub mod chi_square;
pub mod clans;
pub mod context;
pub mod data;
pub mod dispatch;
pub mod effects;
pub mod entities;
pub mod erasure;
pub mod friends;
pub mod gacha;
pub mod grants;
pub mod handlers;
pub mod inbox;
pub mod monsters;
pub mod names;
pub mod odds;
pub mod profile;
pub mod quests;
pub mod reads;
pub mod starter;
pub mod state;
pub mod stats;
pub mod wallet;

#[cfg(test)]
pub mod testkit;
