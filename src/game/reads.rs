//! What an operation reads before its handler runs, beyond the user's own state: other
//! players' data from the cache or their shards, a clan action made in the clan database, or
//! a page of the user's own action log. An operation declares it in the dispatch table
//! (`reads ...`) with a function beside its handler, which looks at the request and the
//! user's state and names a [`Need`]; the service reads it (`crate::service::reads`) and
//! the handler finds it as [`Fetched`] in its context. Pure: naming a need does no I/O.

use summoner_proto::api::{ClanInfo, ClanMember, Credential, FriendCard, FriendSnapshot};
use summoner_proto::social::ClanOutcome;

use crate::game::clans::Action;
use crate::game::context::Refusal;
use crate::game::state::UserState;
use crate::storage::LoggedAction;

/// What a request must read before its handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Recently active players of the user's level bucket.
    Candidates { bucket: u32 },
    /// Another user's snapshot, whole (from the cache, else rebuilt from their rows): for a
    /// friend, or one who may be a friend once the request's inbox is applied.
    Snapshot { user: u64 },
    /// Another user's card as a stranger may see it (name, level, whether their box of friend
    /// requests is full; from the cache, else their profile and requests' rows): never their
    /// teams or monsters. Answered as [`Fetched::Snapshot`] without a team.
    Card { user: u64 },
    /// Other users' profiles from the database: `placed` on the game shard given (one query
    /// per shard), the rest looked up first.
    Profiles { placed: Vec<(u64, i16)>, unplaced: Vec<u64> },
    /// A clan action: decided and committed in the clan database before the handler runs.
    ClanAction(Action),
    /// A clan with its members' summaries (0: the user's own).
    ClanPage { clan_id: u64 },
    /// Clans whose name starts with `prefix`.
    ClanSearch { prefix: String },
    /// A page of the user's own action log of `action`, newest first, below `before`
    /// (a log id; `u64::MAX` for the newest), at most `limit` rows.
    OwnLog { action: &'static str, before: u64, limit: usize },
    /// The account's deletion: the credential verified again as the user's own, then the
    /// deletion recorded in the common database (its grace period starts, or goes on).
    AccountDeletion { credential: Option<Credential> },
}

/// What was read for a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// Recently active players, most recent first (duplicates possible): of the caller's
    /// bucket, and of the neighbouring buckets.
    Candidates { own: Vec<FriendCard>, near: Vec<FriendCard> },
    /// The snapshot asked for; None when no such user exists.
    Snapshot(Option<FriendSnapshot>),
    /// The profiles asked for, as friends see them (users that do not exist are left out).
    Profiles(Vec<FriendSnapshot>),
    /// A clan action, decided and committed (or refused, nothing written).
    Clan(Result<ClanOutcome, Refusal>),
    /// A clan to show: as lists show it, its members and requests with their summaries
    /// (role and summary), or why it cannot be shown.
    ClanPage(Result<(ClanInfo, Vec<ClanMember>, Vec<ClanMember>), Refusal>),
    /// Clans found.
    Clans(Vec<ClanInfo>),
    /// The page of the user's action log asked for, newest first.
    OwnLog(Vec<LoggedAction>),
    /// The deletion recorded: when its erasure starts (ms), or why it was refused.
    Deletion(Result<i64, Refusal>),
}

/// Who asks, as the functions that name a need see it.
pub struct Asking<'a> {
    pub state: &'a UserState,
    pub now_ms: i64,
    /// Whether the debug operations are served.
    pub test_operations: bool,
}

impl Asking<'_> {
    /// Whether `user` is a friend already, or may be one once this request's inbox is
    /// applied (the handler applies deliveries first).
    /// Only a request pending with `user` and a delivery from them waiting (their answer, or
    /// their own request crossing the user's) can make them a friend there: any other stranger's
    /// data is not read.
    pub fn may_be_friend(&self, user: u64) -> bool {
        let owned = &self.state.owned;
        self.is_friend(user)
            || (owned.friend_requests.contains_key(&user) && owned.inbox.values().any(|r| r.sender == user))
    }

    /// Whether `user` is a friend.
    pub fn is_friend(&self, user: u64) -> bool {
        self.state.owned.friends.contains_key(&user)
    }
}
