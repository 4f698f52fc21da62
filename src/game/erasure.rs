//! What an account's erasure tells other players: every user the erased user shares a pair
//! with (a friendship, a request either way, or a pair delivery still waiting in the inbox)
//! is told the pair ends, whatever state their side holds. Where the erased user decides the
//! pair (the lower id, `crate::game::inbox`), that is the pair's state, ended; elsewhere it
//! is a `GONE` proposal, which the deciding side grants whatever its state. Pure: the rows
//! to commit with the erasure, nothing read or written here.

use std::collections::BTreeSet;

use summoner_proto::social::{Op, PairState, Proposal, delivery::Kind};

use crate::game::entities::{Entity, Received};
use crate::game::inbox::Outgoing;
use crate::game::state::UserState;
use crate::storage::rows::{Row, RowWrite, Value};
use crate::storage::tables::{INBOX, OUTBOX};

/// Why the pair ended, as the other side's log shows it.
pub const GONE: &str = "the account was deleted";

/// Whether a delivery waiting in the inbox may start or change a pair.
fn about_a_pair(received: &Received) -> bool {
    received.applied_at_ms == 0 && matches!(received.kind.as_str(), "pair_state" | "proposal")
}

/// The users `state`'s user shares a pair with, or may (a pair delivery from them waits),
/// in id order.
pub fn pair_partners(state: &UserState) -> Vec<u64> {
    let owned = &state.owned;
    let waiting = owned.inbox.values().filter(|r| about_a_pair(r)).map(|r| r.sender);
    let partners: BTreeSet<u64> =
        owned.friends.keys().copied().chain(owned.friend_requests.keys().copied()).chain(waiting).collect();
    partners.into_iter().filter(|u| *u != state.user_id()).collect()
}

/// The outbox rows that end every pair of the user of `state` (erased at `now_ms`), with ids
/// from `mint`: ids minted now, so they come after every delivery the user sent before.
pub fn farewells(state: &UserState, now_ms: i64, mint: &mut dyn FnMut() -> u64) -> Vec<RowWrite> {
    let (me, shard) = (state.user_id(), state.shards.game);
    pair_partners(state).into_iter().map(|them| farewell(me, shard, them, now_ms, mint())).collect()
}

/// The deletes of the inbox rows `state` holds (what its farewells answered): rows that
/// reached the inbox since are left for the erasure's last step to answer.
pub fn inbox_seen(state: &UserState) -> Vec<RowWrite> {
    let me = Value::uint(state.user_id());
    state.owned.inbox.keys().map(|id| RowWrite::Delete(&INBOX, vec![me.clone(), Value::uint(*id)])).collect()
}

/// The outbox rows that end the pairs of erased user `me` (on game shard `shard`) with the
/// senders of the pair deliveries in `inbox` (`INBOX` rows that reached it after its
/// erasure): each sender once. Rows that do not read as deliveries are left out.
pub fn answers(me: u64, shard: i16, inbox: &[Row], now_ms: i64, mint: &mut dyn FnMut() -> u64) -> Vec<RowWrite> {
    let senders: BTreeSet<u64> = inbox
        .iter()
        .filter_map(|row| Received::from_row(row).ok())
        .filter(|r| about_a_pair(r) && r.sender != me)
        .map(|r| r.sender)
        .collect();
    senders.into_iter().map(|them| farewell(me, shard, them, now_ms, mint())).collect()
}

/// The delivery that ends the pair of erased user `me` with `them`: the pair's state, ended,
/// where `me` decides it; a GONE proposal where `them` does.
fn farewell(me: u64, shard: i16, them: u64, now_ms: i64, id: u64) -> RowWrite {
    let delivery = if me < them {
        Kind::PairState(PairState { asker: 0, friends: false, refused: GONE.to_owned() })
    } else {
        Kind::Proposal(Proposal { op: Op::Gone as i32 })
    };
    RowWrite::Insert(&OUTBOX, Outgoing { id, receiver: them, delivery }.row(me, shard, now_ms))
}
