//! The service core, between the transports and the pure game: what the public API, the
//! admin API, the scheduled jobs and the audits call. It owns the I/O the game layer must
//! not do: the user actors' backend (load, fetch, commit, sessions), accounts and sign-in,
//! the game-data catalog and its archive, the QuestActors, friend and clan reads, operators'
//! grants, the notice and the summon audit.
//!
//! Transports (`crate::api`, `crate::admin`) read the caller and map errors to statuses;
//! everything they do to a user or a store goes through a function here.

pub mod accounts;
pub mod audit;
pub mod backend;
pub mod battle_audit;
pub mod bot_scoring;
pub mod catalog;
pub mod clan_flow;
pub mod clan_pages;
pub mod cluster;
pub mod console;
pub mod deletions;
pub mod failure;
pub mod friend_reads;
pub mod history;
pub mod notice;
pub mod oidc;
pub mod open;
pub mod operators;
pub mod quest_actor;
pub mod reads;
pub mod routing;
pub mod session_store;
pub mod sessions;
pub mod tokens;
