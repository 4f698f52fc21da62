//! One file per group of operations; one pure function per operation, with the signature
//! `fn(&mut HandlerCtx, &XxxReq) -> HandlerResult<XxxRes>`, registered in
//! [`crate::game::dispatch`].

pub mod battle;
pub mod clans;
pub mod debug;
pub mod dungeon;
pub mod explore;
pub mod friends;
pub mod mail;
pub mod monsters;
pub mod quests;
pub mod session;
pub mod shop;
pub mod summon;
pub mod summon_history;
pub mod user;

#[cfg(test)]
mod tests;
