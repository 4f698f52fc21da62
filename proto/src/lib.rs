//! Summoner's wire protocol and game-data format: the prost types generated from the .proto
//! files beside this crate, the compiled game-data files ([`files`]) with the words game data
//! may use ([`vocabulary`]), and the list of operations ([`api::OPERATIONS`]).
//!
//! The .proto files are the contract with clients (Unity/C# clients generate their code
//! from the same files); the server, the game-data compiler and the bots share this crate
//! and nothing else of each other.

pub mod files;
pub mod vocabulary;

/// `summoner.api`: the `Request` and `Response` envelopes and every payload.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/summoner.api.rs"));

    /// One operation of the protocol: a field of `Request.payload`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Operation {
        /// Its name as logs, metrics and `docs/PROTOCOL.md` show it (`GetUser`).
        pub name: &'static str,
        /// Its field in `Request.payload` (`get_user`), as the bots' reports label it.
        pub field: &'static str,
    }

    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

/// `summoner.gamedata`: the compiled game data and its strings.
pub mod gamedata {
    include!(concat!(env!("OUT_DIR"), "/summoner.gamedata.rs"));
}

/// `summoner.cache`: what the server keeps in its cache (Redis or in-process); internal.
pub mod cache {
    include!(concat!(env!("OUT_DIR"), "/summoner.cache.rs"));
}

/// `summoner.social`: what one user's request does to another, between the sender's
/// outbox and the receiver's inbox; internal.
pub mod social {
    include!(concat!(env!("OUT_DIR"), "/summoner.social.rs"));
}

#[cfg(test)]
mod tests {
    use super::api::{GetUserReq, OPERATIONS, request::Payload};

    #[test]
    fn every_payload_names_its_operation() {
        let op = Payload::GetUser(GetUserReq {}).operation();
        assert_eq!((op.name, op.field), ("GetUser", "get_user"));
        assert!(OPERATIONS.iter().any(|o| o.name == "VisitFriendDungeon"));
        let mut names: Vec<_> = OPERATIONS.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len(), "names are unique");
    }
}
