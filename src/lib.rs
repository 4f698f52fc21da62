//! Summoner: an actor-model game backend. Game clients send protobuf `Request`s to
//! `POST /api`; each logged-in user is a supervised actor that handles that user's
//! requests one at a time; handlers are pure functions of game data and a draft state.
//!
//! Layers, outermost first: the transports [`api`] and [`admin`] (the only places errors
//! become HTTP statuses) → [`service`] (the core: the user actors' backend, accounts,
//! sessions, operators' actions) → [`game`] (pure rules and handlers) → [`storage`] (rows,
//! durable state) and [`cache`]. `tests/architecture.rs` enforces it; ARCHITECTURE.md maps it.

pub mod admin;
pub mod allocations;
pub mod api;
pub mod cache;
pub mod cli;
pub mod config;
pub mod game;
pub mod health;
pub mod ids;
pub mod jobs;
pub mod metrics;
pub mod server;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod urls;
