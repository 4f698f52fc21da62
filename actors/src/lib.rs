//! Summoner's actor layer: one supervised actix actor per logged-in user.
//!
//! This crate owns the *runtime* rules that hold for every operation, whatever the game:
//! a user's requests are handled one at a time and in order ([`user_actor`]), a retried
//! request is answered from the stored reply instead of being applied again ([`replay`]),
//! a panic in a handler costs only that request, idle actors are passivated and
//! re-activated on demand, and each mailbox is bounded ([`directory`]).
//!
//! It knows nothing of HTTP, databases or game rules: those arrive through the
//! [`backend::UserBackend`] trait, which the server crate implements.

pub mod backend;
pub mod clock;
pub mod directory;
pub mod in_flight;
pub mod messages;
pub mod replay;
pub mod session;
pub mod user_actor;

/// A user's id: 64 bits, unique across every shard.
pub type UserId = u64;

pub use backend::{BackendError, Commit, FailureKind, Handled, Loaded, SessionChange, StoredReply, UserBackend};
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{ActorInfo, AskError, Directory, DirectoryConfig, RouteError};
pub use in_flight::{InFlight, InFlightView, Probe, Stage, Tracked};
pub use messages::{Answered, Call, CallError, Erase, Inspect, Inspection, Kick, OpenSession, Passivate, Refresh};
pub use session::{Session, TokenHash};
pub use user_actor::UserActor;
