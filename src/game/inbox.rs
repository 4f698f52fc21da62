//! Deliveries between users: what a handler sends another user ([`Outgoing`], an outbox row
//! in the sender's commit) and how the receiver's actor applies what reached its inbox
//! ([`receive`], in the receiver's own draft, before its request's handler runs).
//!
//! A pair of users agrees on its friendship through its authority, the one with the lower
//! user id (`proto/social.proto`): the authority's side holds the pair's state ([`Pair`]);
//! the other side changes its own view at once and proposes the change; the authority
//! decides and always answers with the pair's state, which the other side takes. Deliveries
//! from one user to another arrive in the order they were sent, so the last word is always
//! the authority's state, and both sides end equal. Each side keeps its own limits: friend
//! requests sent count toward the friend limit, so a request accepted always has room on the
//! side that asked; a state the follower cannot keep (a full friend list or box of requests)
//! is proposed away.

use prost::Message;
use summoner_proto::api::{Extra, Received as ReceivedExtra, extra};
use summoner_proto::social::{Delivery, DungeonVisit, Gift, Op, PairState, Proposal, delivery::Kind};

use crate::game::context::HandlerCtx;
use crate::game::effects::GameEvent;
use crate::game::entities::{Friend, FriendRequest, Received};
use crate::game::state::MINT_RESERVE;
use crate::game::wallet::{self, FRIEND_POINTS};
use crate::storage::rows::{Row, Value};

/// Ids a request keeps for its own handler when applying deliveries (a gift mints a mail, an
/// answer a delivery): deliveries beyond what the rest allows wait for the next request.
const KEEP_FOR_HANDLER: u64 = MINT_RESERVE / 2;
/// Deliveries one request applies at most (each is a row written and an extra answered).
pub const MAX_APPLIED: usize = 64;
/// The counter of friendship points received from gifts and visits this game day.
pub const FRIEND_POINTS_TODAY: &str = "friend_points.day";

/// The title of a gift's mail (a string key of the game data).
pub const GIFT_MAIL_TITLE: &str = "name.mail.gift";
/// The title of the mail the clan's daily reward comes in.
pub const CLAN_REWARD_TITLE: &str = "name.mail.clan_reward";
/// The title of the mail a dungeon visit brings the host.
pub const DUNGEON_MAIL_TITLE: &str = "name.mail.dungeon_visit";

/// A delivery a request sends to another user.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Minted from the sender's ids (a clan action's news, from the node's): unique, and
    /// rising with each request of the sender while one node's clock mints them.
    pub id: u64,
    pub receiver: u64,
    pub delivery: Kind,
}

impl Outgoing {
    /// The outbox row sent by `sender` (on game shard `shard`) at `now_ms`.
    pub fn row(&self, sender: u64, shard: i16, now_ms: i64) -> Row {
        let body = Delivery { kind: Some(self.delivery.clone()) }.encode_to_vec();
        vec![
            Value::uint(self.id),
            Value::uint(sender),
            Value::Int(i64::from(shard)),
            Value::uint(self.receiver),
            Value::Text(kind_name(&self.delivery).to_owned()),
            Value::Bytes(body),
            Value::Int(now_ms),
        ]
    }
}

/// The name of a delivery's variant, as the outbox and inbox tables show it.
pub fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::PairState(_) => "pair_state",
        Kind::Proposal(_) => "proposal",
        Kind::Gift(_) => "gift",
        Kind::DungeonVisit(_) => "dungeon_visit",
        Kind::ClanNews(_) => "clan_news",
    }
}

/// A friendship as one side of the pair sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    None,
    /// This user asked; the request is pending.
    Asked,
    /// The other user asked.
    AskedBy,
    Friends,
}

/// The pair of the user and `them`, as the draft has it.
pub fn pair(ctx: &HandlerCtx, them: u64) -> Pair {
    if ctx.user.owned.friends.contains(&them) {
        return Pair::Friends;
    }
    match ctx.user.owned.friend_requests.get(&them) {
        Some(r) if r.outgoing => Pair::Asked,
        Some(_) => Pair::AskedBy,
        None => Pair::None,
    }
}

/// Whether the user's side decides the pair with `them`.
fn is_authority(ctx: &HandlerCtx, them: u64) -> bool {
    ctx.user.user_id() < them
}

/// Changes the pair with `them` on this side, by `op`, to `to`, and tells the other side:
/// the pair's state when this side decides, else the proposal.
pub fn change(ctx: &mut HandlerCtx, them: u64, op: Op, to: Pair) {
    set_pair(ctx, them, to, -1);
    let delivery = if is_authority(ctx, them) {
        Kind::PairState(state_of(ctx, them, to, String::new()))
    } else {
        Kind::Proposal(Proposal { op: op as i32 })
    };
    ctx.send(them, delivery);
}

/// Sends `them` a gift of friendship points.
pub fn send_gift(ctx: &mut HandlerCtx, them: u64, points: u32) {
    ctx.send(them, Kind::Gift(Gift { points }));
}

/// Tells `them` that the user won in their dungeon: friendship points for them.
pub fn send_dungeon_visit(ctx: &mut HandlerCtx, them: u64, points: u32) {
    ctx.send(them, Kind::DungeonVisit(DungeonVisit { points }));
}

fn state_of(ctx: &HandlerCtx, them: u64, pair: Pair, refused: String) -> PairState {
    let asker = match pair {
        Pair::Asked => ctx.user.user_id(),
        Pair::AskedBy => them,
        Pair::None | Pair::Friends => 0,
    };
    PairState { asker, friends: pair == Pair::Friends, refused }
}

/// Puts the pair's rows on this side in state `to`; `shard` is the other user's game shard
/// when this learned it (-1: keep what is known).
fn set_pair(ctx: &mut HandlerCtx, them: u64, to: Pair, shard: i16) {
    let now = ctx.now_ms;
    let owned = &mut ctx.user.owned;
    let known =
        owned.friends.get(&them).map(|f| f.shard).or_else(|| owned.friend_requests.get(&them).map(|r| r.other_shard));
    let shard = if shard >= 0 { shard } else { known.unwrap_or(-1) };
    match to {
        Pair::Friends => {
            owned.friend_requests.remove(&them);
            match owned.friends.get_mut(&them) {
                Some(friend) if friend.shard != shard && shard >= 0 => friend.shard = shard,
                Some(_) => {}
                None => {
                    owned.friends.insert(Friend::new(them, shard, now));
                    ctx.events.push(GameEvent::FriendAdded);
                }
            }
        }
        Pair::Asked | Pair::AskedBy => {
            owned.friends.remove(&them);
            let outgoing = to == Pair::Asked;
            let sent_at_ms = match owned.friend_requests.get(&them) {
                Some(r) if r.outgoing == outgoing => r.sent_at_ms,
                _ => now,
            };
            let request = FriendRequest { other: them, outgoing, other_shard: shard, sent_at_ms };
            if owned.friend_requests.get(&them) != Some(&request) {
                owned.friend_requests.put(request);
            }
        }
        Pair::None => {
            owned.friends.remove(&them);
            owned.friend_requests.remove(&them);
        }
    }
}

/// Applies the deliveries in the user's inbox, oldest first, and marks them applied: at most
/// [`MAX_APPLIED`], and as far as the request's ids allow (the rest wait for the next
/// request). What changed is
/// reported in the response's extras.
pub fn receive(ctx: &mut HandlerCtx) {
    let mut waiting: Vec<Received> = ctx.user.owned.inbox.iter().filter(|r| r.applied_at_ms == 0).cloned().collect();
    waiting.sort_by_key(|r| r.id);
    for item in waiting.into_iter().take(MAX_APPLIED) {
        if ctx.mint_room() <= KEEP_FOR_HANDLER {
            break;
        }
        if let Some(entry) = ctx.user.owned.inbox.get_mut(&item.id) {
            // Kept as the record that it arrived (`crate::storage::tables::INBOX`).
            entry.applied_at_ms = ctx.now_ms.max(1);
        }
        let params = format!("from={} delivery={} kind={}", item.sender, item.id, item.kind);
        let Some(kind) = Delivery::decode(item.body.as_slice()).ok().and_then(|d| d.kind) else {
            ctx.log("delivery_unreadable", params, String::new());
            continue;
        };
        let outcome = apply(ctx, &item, &kind);
        if let Some(reported) = outcome.reported {
            ctx.extras.push(Extra {
                kind: Some(extra::Kind::Received(ReceivedExtra {
                    from_user_id: item.sender,
                    kind: reported.to_owned(),
                    sent_at_ms: item.sent_at_ms,
                })),
            });
        }
        ctx.log("delivery_received", params, outcome.logged);
    }
}

/// What applying one delivery did: for the log, and for the client when it sees a change.
struct Outcome {
    logged: String,
    reported: Option<&'static str>,
}

fn apply(ctx: &mut HandlerCtx, item: &Received, kind: &Kind) -> Outcome {
    let them = item.sender;
    match kind {
        Kind::Gift(gift) => pay_friend_points(ctx, them, gift.points, "gift", GIFT_MAIL_TITLE),
        Kind::DungeonVisit(visit) => pay_friend_points(ctx, them, visit.points, "dungeon_visit", DUNGEON_MAIL_TITLE),
        Kind::ClanNews(news) if news.change == "reward" => {
            let gems = wallet::reward("gems", u64::from(news.gems));
            let id = wallet::send_mail(ctx, "clan_reward", CLAN_REWARD_TITLE, vec![gems]);
            Outcome { logged: format!("clan={} mail={id}", news.clan_id), reported: Some("clan_reward") }
        }
        Kind::ClanNews(news) => {
            if news.change == "approved" {
                ctx.events.push(GameEvent::ClanJoined);
            }
            let reported = match news.change.as_str() {
                "approved" => "clan_approved",
                "rejected" => "clan_rejected",
                "kicked" => "clan_kicked",
                "promoted" => "clan_promoted",
                "demoted" => "clan_demoted",
                "leader" => "clan_leader",
                "disbanded" => "clan_disbanded",
                _ => "clan_news",
            };
            Outcome { logged: format!("clan={} change={}", news.clan_id, news.change), reported: Some(reported) }
        }
        Kind::Proposal(_) if !is_authority(ctx, them) => {
            Outcome { logged: "a proposal to the side that does not decide: ignored".into(), reported: None }
        }
        Kind::PairState(_) if is_authority(ctx, them) => {
            Outcome { logged: "a state from the side that does not decide: ignored".into(), reported: None }
        }
        Kind::Proposal(proposal) => {
            let before = pair(ctx, them);
            let (after, refused) = decide(ctx, proposal.op(), before);
            set_pair(ctx, them, after, item.sender_shard);
            // An account being erased reads no answer.
            if proposal.op() != Op::Gone {
                ctx.send(them, Kind::PairState(state_of(ctx, them, after, refused.clone())));
            }
            transition(before, after, refused)
        }
        Kind::PairState(state) => {
            let before = pair(ctx, them);
            let me = ctx.user.user_id();
            let mut after = match (state.friends, state.asker) {
                (true, _) => Pair::Friends,
                (false, 0) => Pair::None,
                (false, asker) if asker == me => Pair::Asked,
                (false, _) => Pair::AskedBy,
            };
            // This side's own limits: what it cannot keep, it proposes away.
            let mut refused = String::new();
            // Asked and Friends take a slot of the friend limit: one this side does not hold
            // yet must be free (the authority may answer a request this side withdrew since).
            let holds_slot = matches!(before, Pair::Asked | Pair::Friends);
            let needs_slot = matches!(after, Pair::Asked | Pair::Friends) && !holds_slot;
            if needs_slot && friend_slots_taken(ctx) >= ctx.data.social.friend_limit {
                let op = if after == Pair::Friends { Op::Remove } else { Op::Cancel };
                (after, refused) = (Pair::None, "the friend list is full".into());
                ctx.send(them, Kind::Proposal(Proposal { op: op as i32 }));
            } else if after == Pair::AskedBy && before != Pair::AskedBy && box_full(ctx) {
                (after, refused) = (Pair::None, "the box of requests is full".into());
                ctx.send(them, Kind::Proposal(Proposal { op: Op::Decline as i32 }));
            }
            set_pair(ctx, them, after, item.sender_shard);
            if !state.refused.is_empty() {
                refused = state.refused.clone();
            }
            transition(before, after, refused)
        }
    }
}

/// Friendship points from `them` (a gift, or their win in the user's dungeon), as mail of
/// `kind`: paid only while `them` is a friend (one sent before the friendship ended is not),
/// and within what the user may receive this game day (`friend_points_daily_cap`).
fn pay_friend_points(ctx: &mut HandlerCtx, them: u64, points: u32, kind: &'static str, title: &str) -> Outcome {
    if !ctx.user.owned.friends.contains(&them) {
        return Outcome { logged: "from a user who is no friend now: not paid".into(), reported: None };
    }
    let today = u64::try_from(wallet::counter(ctx, FRIEND_POINTS_TODAY)).unwrap_or(0);
    let cap = ctx.data.social.friend_points_daily_cap;
    let paid = u64::from(points).min(cap.map_or(u64::MAX, |cap| cap.saturating_sub(today)));
    if paid == 0 {
        let cap = cap.unwrap_or(u64::MAX);
        return Outcome { logged: format!("the day's {cap} points are received already: not paid"), reported: None };
    }
    let resets = ctx.data.reset.next_reset(ctx.now_ms);
    wallet::set_counter(ctx, FRIEND_POINTS_TODAY, i64::try_from(today + paid).unwrap_or(i64::MAX), resets);
    let id = wallet::send_mail(ctx, kind, title, vec![wallet::reward(FRIEND_POINTS, paid)]);
    if let Some(mail) = ctx.user.owned.mail.get_mut(&id) {
        mail.sender_id = them;
    }
    Outcome { logged: format!("mail={id} points={paid}"), reported: Some(kind) }
}

/// What the pair's authority makes of the other side's proposal `op` when the pair is
/// `current` on its side (a proposal that no longer fits changes nothing).
fn decide(ctx: &HandlerCtx, op: Op, current: Pair) -> (Pair, String) {
    match (op, current) {
        (Op::Ask, Pair::None) if box_full(ctx) => (Pair::None, "the box of requests is full".into()),
        (Op::Ask, Pair::None) => (Pair::AskedBy, String::new()),
        // Both asked: the other's request answers this side's (whose request held a slot).
        (Op::Ask | Op::Accept, Pair::Asked) => (Pair::Friends, String::new()),
        (Op::Decline, Pair::Asked) | (Op::Cancel, Pair::AskedBy) | (Op::Remove, Pair::Friends) => {
            (Pair::None, String::new())
        }
        // The other side's account is being erased (`crate::game::erasure`).
        (Op::Gone, _) => (Pair::None, crate::game::erasure::GONE.to_owned()),
        (_, current) => (current, String::new()),
    }
}

fn transition(before: Pair, after: Pair, refused: String) -> Outcome {
    let reported = match (before, after) {
        (b, a) if b == a => None,
        (_, Pair::Friends) => Some("friend_added"),
        (_, Pair::AskedBy) => Some("friend_request"),
        (Pair::Friends, Pair::None) => Some("friend_removed"),
        (Pair::Asked, Pair::None) => Some("friend_request_declined"),
        (Pair::AskedBy, Pair::None) => Some("friend_request_withdrawn"),
        (_, _) => Some("friend_request_pending"),
    };
    let logged = if refused.is_empty() {
        format!("{before:?} -> {after:?}")
    } else {
        format!("{before:?} -> {after:?} ({refused})")
    };
    Outcome { logged, reported }
}

/// Whether the user's box of friend requests received is full.
fn box_full(ctx: &HandlerCtx) -> bool {
    requests_received(ctx) >= ctx.data.social.request_limit
}

/// Friend requests received and waiting in the user's box, in the draft.
pub fn requests_received(ctx: &HandlerCtx) -> usize {
    ctx.user.owned.friend_requests.iter().filter(|r| !r.outgoing).count()
}

/// Friends plus requests sent: what the friend limit bounds.
pub fn friend_slots_taken(ctx: &HandlerCtx) -> usize {
    let owned = &ctx.user.owned;
    owned.friends.len() + owned.friend_requests.iter().filter(|r| r.outgoing).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::entities::Entity;
    use crate::storage::rows::RowWrite;
    use crate::storage::tables::{INBOX, OUTBOX};

    /// The outbox row a handler writes fits the table, and the inbox row the courier makes of
    /// it reads back as the delivery sent (storage maps one to the other by position).
    #[test]
    fn an_outbox_row_becomes_the_inbox_row_of_the_delivery_sent() {
        let sent = Outgoing { id: u64::MAX - 5, receiver: 77, delivery: Kind::Gift(Gift { points: 9 }) };
        let outbox = sent.row(42, 2, 1_000);
        assert!(RowWrite::Insert(&OUTBOX, outbox.clone()).check().is_ok());
        let (receiver, inbox) = crate::storage::delivery::inbox_row(&outbox).expect("an outbox row");
        assert_eq!(receiver, 77);
        assert!(RowWrite::Insert(&INBOX, inbox.clone()).check().is_ok());
        let received = Received::from_row(&inbox).expect("an inbox row");
        assert_eq!((received.id, received.sender, received.sender_shard), (sent.id, 42, 2));
        assert_eq!((received.kind.as_str(), received.sent_at_ms, received.applied_at_ms), ("gift", 1_000, 0));
        let body = Delivery::decode(received.body.as_slice()).expect("the body decodes");
        assert_eq!(body.kind, Some(sent.delivery));
    }
}
