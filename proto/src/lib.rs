//! Summoner's wire protocol: the prost types generated from `proto/api.proto`.
//!
//! The .proto files are the contract with clients (Unity/C# clients generate their code
//! from the same files); this crate only compiles them.

/// `summoner.api`: the `Request` and `Response` envelopes and every payload.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/summoner.api.rs"));
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
