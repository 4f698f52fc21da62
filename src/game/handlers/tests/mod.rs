//! Handler unit tests: every operation and every refusal, on a [`Player`] without a database.

mod battle;
mod dungeon;
mod economy;
mod monsters;
mod properties;
mod social;
mod summon;

pub use summoner_proto::api::request::Payload as Q;
pub use summoner_proto::api::response::Payload as A;

pub use crate::game::testkit::Player;

/// Unwraps a response payload of the expected kind.
macro_rules! answer {
    ($value:expr, $variant:ident) => {
        match $value {
            A::$variant(res) => res,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}
pub(crate) use answer;
