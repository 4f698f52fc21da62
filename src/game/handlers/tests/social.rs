//! Friends and gifts between players: requests, answers and their deliveries in every order
//! they can meet in, the limits on both sides, gifts as mail and friendship points, and a
//! property test over random interleavings that every friendship ends symmetric.

use proptest::prelude::*;
use summoner_proto::api::{
    AcceptFriendRequestReq, CancelFriendRequestReq, ClaimMailReq, DeclineFriendRequestReq, ErrorCode,
    ListFriendRequestsReq, ListFriendsReq, ListMailReq, RemoveFriendReq, SendFriendRequestReq, SendGiftReq, SummonReq,
    extra,
};

use super::*;
use crate::game::reads::Fetched;
use crate::game::testkit::deliver;

fn players(n: u64) -> Vec<Player> {
    (1..=n).map(|i| Player::with_id(100 + i)).collect()
}

/// `from` asks `to`; answers the response.
fn ask(from: &mut Player, to: &Player) -> summoner_proto::api::Response {
    let req = Q::SendFriendRequest(SendFriendRequestReq { user_id: to.state.user_id() });
    from.call_with(req, Fetched::Snapshot(Some(to.snapshot())))
}

fn accept(p: &mut Player, from: u64) -> summoner_proto::api::Response {
    p.call(Q::AcceptFriendRequest(AcceptFriendRequestReq { user_id: from }))
}

/// A request that reads nothing: applies what waits in the inbox.
fn touch(p: &mut Player) {
    p.ok(Q::ListMail(ListMailReq {}));
}

fn friends_of(p: &Player) -> Vec<u64> {
    p.state.owned.friends.keys().copied().collect()
}

fn requests_of(p: &Player) -> Vec<(u64, bool)> {
    p.state.owned.friend_requests.values().map(|r| (r.other, r.outgoing)).collect()
}

#[test]
fn a_request_and_its_acceptance_make_one_friendship_on_both_sides() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (ia, ib) = (a.state.user_id(), b.state.user_id());
    let sent = answer!(ask(&mut a, &b).payload.expect("an answer"), SendFriendRequest);
    assert_eq!(sent.request.expect("the request").user_id, ib);
    assert_eq!(requests_of(&a), [(ib, true)]);
    assert_eq!(deliver(&mut [&mut a, &mut b]), 1);
    let answered = b.call(Q::ListFriendRequests(ListFriendRequestsReq {}));
    let Some(extra::Kind::Received(received)) = answered.extra.first().and_then(|e| e.kind.clone()) else {
        panic!("the request is reported in the extras: {:?}", answered.extra)
    };
    assert_eq!((received.from_user_id, received.kind.as_str()), (ia, "friend_request"));
    let listed = answer!(answered.payload.expect("an answer"), ListFriendRequests);
    assert_eq!(listed.incoming.iter().map(|r| r.user_id).collect::<Vec<_>>(), [ia]);
    assert!(b.state.owned.inbox.is_empty(), "applied deliveries leave the state");

    let accepted = accept(&mut b, ia);
    assert_eq!(accepted.error, ErrorCode::Ok as i32, "{}", accepted.message);
    assert_eq!(friends_of(&b), [ia]);
    assert_eq!(b.state.owned.friends[&ia].shard, a.state.shards.game, "the sender's shard came with its request");
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);
    assert_eq!(friends_of(&a), [ib]);
    assert_eq!(a.state.owned.friends[&ib].shard, b.state.shards.game);
    assert!(requests_of(&a).is_empty() && requests_of(&b).is_empty());
    assert_eq!(a.logged("quest_completed").len() + b.logged("quest_completed").len(), 0);
    for p in [&a, &b] {
        assert!(p.logged("delivery_received").len() == 1, "each side received one delivery");
    }
    // Removing ends it on both sides.
    let removed = a.call(Q::RemoveFriend(RemoveFriendReq { user_id: ib }));
    assert_eq!(removed.error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    assert!(friends_of(&a).is_empty() && friends_of(&b).is_empty());
}

#[test]
fn two_requests_that_cross_make_one_friendship() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (ia, ib) = (a.state.user_id(), b.state.user_id());
    assert_eq!(ask(&mut a, &b).error, ErrorCode::Ok as i32);
    assert_eq!(ask(&mut b, &a).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);
    touch(&mut b);
    // Each side took the other's request as an answer to its own, and said so.
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);
    touch(&mut b);
    assert_eq!((friends_of(&a), friends_of(&b)), (vec![ib], vec![ia]));
    assert!(requests_of(&a).is_empty() && requests_of(&b).is_empty());
    assert_eq!(deliver(&mut [&mut a, &mut b]), 0, "nothing more travels");
}

#[test]
fn both_asking_and_both_accepting_at_once_make_one_friendship() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (ia, ib) = (a.state.user_id(), b.state.user_id());
    assert_eq!(ask(&mut a, &b).error, ErrorCode::Ok as i32);
    assert_eq!(ask(&mut b, &a).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b]);
    // Each accepts what it sees at the same moment: the requests applied first decide.
    let from_a = accept(&mut a, ib);
    let from_b = accept(&mut b, ia);
    assert!(
        [&from_a, &from_b].iter().any(|r| r.error == ErrorCode::Ok as i32),
        "one side at least still saw a request to accept"
    );
    for _ in 0..3 {
        deliver(&mut [&mut a, &mut b]);
        touch(&mut a);
        touch(&mut b);
    }
    assert_eq!((friends_of(&a), friends_of(&b)), (vec![ib], vec![ia]));
    assert!(requests_of(&a).is_empty() && requests_of(&b).is_empty());
    assert_eq!(deliver(&mut [&mut a, &mut b]), 0, "both sides agree: nothing more travels");
}

#[test]
fn an_acceptance_meeting_a_withdrawn_request_is_undone_on_both_sides() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (ia, ib) = (a.state.user_id(), b.state.user_id());
    ask(&mut a, &b);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    // A withdraws while B accepts.
    assert_eq!(a.call(Q::CancelFriendRequest(CancelFriendRequestReq { user_id: ib })).error, ErrorCode::Ok as i32);
    assert_eq!(accept(&mut b, ia).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);
    touch(&mut b);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    assert!(friends_of(&a).is_empty() && friends_of(&b).is_empty());
    assert!(requests_of(&a).is_empty() && requests_of(&b).is_empty());
}

#[test]
fn refusals_name_their_reason_and_change_nothing() {
    let [mut a, b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let ib = b.state.user_id();
    let me = a.snapshot();
    let own = Q::SendFriendRequest(SendFriendRequestReq { user_id: a.state.user_id() });
    a.fetched = Some(Fetched::Snapshot(Some(me)));
    a.refused(own, ErrorCode::CannotBefriendSelf);
    a.fetched = Some(Fetched::Snapshot(None));
    a.refused(Q::SendFriendRequest(SendFriendRequestReq { user_id: 999 }), ErrorCode::UnknownUser);
    ask(&mut a, &b);
    a.fetched = Some(Fetched::Snapshot(Some(b.snapshot())));
    a.refused(Q::SendFriendRequest(SendFriendRequestReq { user_id: ib }), ErrorCode::RequestPending);
    a.refused(Q::AcceptFriendRequest(AcceptFriendRequestReq { user_id: ib }), ErrorCode::NoSuchRequest);
    a.refused(Q::DeclineFriendRequest(DeclineFriendRequestReq { user_id: ib }), ErrorCode::NoSuchRequest);
    a.refused(Q::RemoveFriend(RemoveFriendReq { user_id: ib }), ErrorCode::NotFriends);
    a.refused(Q::SendGift(SendGiftReq { user_id: ib }), ErrorCode::NotFriends);
    let c = Player::with_id(500);
    let full = summoner_proto::api::FriendSnapshot { request_box_full: true, ..c.snapshot() };
    a.fetched = Some(Fetched::Snapshot(Some(full)));
    a.refused(Q::SendFriendRequest(SendFriendRequestReq { user_id: c.state.user_id() }), ErrorCode::RequestBoxFull);
}

#[test]
fn requests_sent_count_toward_the_friend_limit_and_a_full_box_declines_on_arrival() {
    let mut a = Player::with_id(1);
    let limit = a.data.social.friend_limit;
    let mut others: Vec<Player> = (0..limit as u64 + 1).map(|i| Player::with_id(1_000 + i)).collect();
    for other in others.iter().take(limit) {
        assert_eq!(ask(&mut a, other).error, ErrorCode::Ok as i32);
    }
    let last = &others[limit];
    a.fetched = Some(Fetched::Snapshot(Some(last.snapshot())));
    a.refused(Q::SendFriendRequest(SendFriendRequestReq { user_id: last.state.user_id() }), ErrorCode::FriendListFull);

    // A box holds `request_limit` requests; one more is refused when it arrives, and its
    // sender learns it (the target has the lower id: it decides each pair).
    let mut target = Player::with_id(2);
    let box_limit = target.data.social.request_limit;
    for other in others.iter_mut().take(box_limit + 1) {
        ask(other, &target);
    }
    let mut all: Vec<&mut Player> = others.iter_mut().collect();
    all.push(&mut target);
    deliver(&mut all);
    let target = all.pop().expect("the target");
    touch(target);
    assert_eq!(requests_of(target).len(), box_limit);
    assert!(target.snapshot().request_box_full);
    all.push(target);
    assert_eq!(deliver(&mut all), box_limit + 1, "every asker gets the pair's state back");
    let target = all.pop().expect("the target");
    let asked_target = |p: &Player| p.state.owned.friend_requests.contains_key(&target.state.user_id());
    let mut refused = 0;
    for p in all.iter_mut().take(box_limit + 1) {
        touch(p);
        if !asked_target(p) {
            refused += 1;
            let log = p.logged("delivery_received");
            assert!(log.iter().any(|l| l.result.contains("box of requests is full")), "{log:?}");
        }
    }
    assert_eq!(refused, 1, "one request was refused on arrival, on both sides");
}

#[test]
fn gifts_go_once_a_day_per_friend_arrive_as_mail_and_pay_for_the_friend_summon() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (ia, ib) = (a.state.user_id(), b.state.user_id());
    ask(&mut a, &b);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    accept(&mut b, ia);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);

    let gift = answer!(a.ok(Q::SendGift(SendGiftReq { user_id: 0 })), SendGift);
    assert_eq!(gift.sent_to, [ib]);
    assert_eq!(gift.again_at_ms, a.data.reset.next_reset(a.now));
    a.refused(Q::SendGift(SendGiftReq { user_id: ib }), ErrorCode::GiftAlreadySent);
    a.refused(Q::SendGift(SendGiftReq { user_id: 0 }), ErrorCode::GiftAlreadySent);
    assert!(a.logged("currency").is_empty(), "sending costs nothing");
    deliver(&mut [&mut a, &mut b]);
    let mail = answer!(b.ok(Q::ListMail(ListMailReq {})), ListMail);
    let gift_mail = mail.mail.iter().find(|m| m.kind == "gift").expect("the gift is mail");
    assert_eq!(gift_mail.sender_id, ia);
    let claimed = answer!(b.ok(Q::ClaimMail(ClaimMailReq { mail_id: gift_mail.id, all: false })), ClaimMail);
    let points = u64::from(b.data.social.gift_points);
    assert_eq!(claimed.user.expect("the user").friend_points, points);

    // Ending the friendship and making it again the same day does not give another gift.
    assert_eq!(a.call(Q::RemoveFriend(RemoveFriendReq { user_id: ib })).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    ask(&mut a, &b);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    accept(&mut b, ia);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut a);
    assert_eq!(friends_of(&a), [ib]);
    a.refused(Q::SendGift(SendGiftReq { user_id: ib }), ErrorCode::GiftAlreadySent);

    // The next game day, the same friend can be gifted again.
    a.now = gift.again_at_ms;
    assert_eq!(answer!(a.ok(Q::SendGift(SendGiftReq { user_id: ib })), SendGift).sent_to, [ib]);

    // Points pay for the friend summon, and only points do.
    let pool = Q::Summon(SummonReq { pool: "pool.friend".into(), count: 1 });
    b.refused(pool.clone(), ErrorCode::NotEnoughFriendPoints);
    let gold = b.state.profile.gold;
    b.state.owned.counters.insert(
        "friend_points".into(),
        crate::game::entities::Counter { name: "friend_points".into(), value: 250, resets_at_ms: 0 },
    );
    let drawn = answer!(b.ok(pool), Summon);
    assert_eq!(drawn.monsters.len(), 1);
    assert_eq!(b.state.owned.counters["friend_points"].value, 50);
    assert_eq!(b.state.profile.gold, gold);
    assert_eq!(b.logged("currency").last().expect("logged").params, "name=friend_points delta=-200 reason=summon");
}

#[test]
fn deliveries_apply_with_a_refused_request_and_quests_count_social_events() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let ia = a.state.user_id();
    ask(&mut a, &b);
    deliver(&mut [&mut a, &mut b]);
    // B's next request is refused, but the request that arrived is kept.
    let refused = b.call(Q::RemoveFriend(RemoveFriendReq { user_id: 12_345 }));
    assert_eq!(refused.error, ErrorCode::NotFriends as i32);
    assert_eq!(requests_of(&b), [(ia, false)]);
    assert!(b.state.owned.inbox.is_empty());
    let accepted = accept(&mut b, ia);
    let moved: Vec<_> = accepted
        .extra
        .iter()
        .filter_map(|e| match &e.kind {
            Some(extra::Kind::QuestProgress(q)) => Some(q.quest.clone()),
            _ => None,
        })
        .collect();
    assert!(moved.contains(&"quest.ach.friends5".to_string()), "{moved:?}");
}

#[test]
fn the_friend_list_shows_what_was_read_and_the_requests_list_both_ways() {
    let [mut a, mut b, mut c] = <[Player; 3]>::try_from(players(3)).ok().expect("three players");
    let (ia, ib, ic) = (a.state.user_id(), b.state.user_id(), c.state.user_id());
    ask(&mut a, &b);
    ask(&mut c, &a);
    deliver(&mut [&mut a, &mut b, &mut c]);
    touch(&mut b);
    accept(&mut b, ia);
    deliver(&mut [&mut a, &mut b, &mut c]);
    let requests = answer!(a.ok(Q::ListFriendRequests(ListFriendRequestsReq {})), ListFriendRequests);
    assert_eq!(requests.incoming.iter().map(|r| r.user_id).collect::<Vec<_>>(), [ic]);
    assert!(requests.outgoing.is_empty(), "b's acceptance applied first");
    let listed = a.call_with(Q::ListFriends(ListFriendsReq {}), Fetched::Profiles(vec![b.snapshot()]));
    let listed = answer!(listed.payload.expect("an answer"), ListFriends);
    assert_eq!(listed.friends.len(), 1);
    let friend = &listed.friends[0];
    assert_eq!((friend.user_id, friend.snapshot.as_ref().map(|s| s.user_id)), (ib, Some(ib)));
    assert_eq!(listed.friend_limit as usize, a.data.social.friend_limit);
}

#[derive(Debug, Clone)]
enum Op {
    Ask(usize, usize),
    Accept(usize, usize),
    Decline(usize, usize),
    Cancel(usize, usize),
    Remove(usize, usize),
    Gift(usize),
    Deliver,
    Touch(usize),
}

fn op(n: usize) -> impl Strategy<Value = Op> {
    let pair = (0..n, 0..n);
    prop_oneof![
        4 => pair.clone().prop_map(|(a, b)| Op::Ask(a, b)),
        4 => pair.clone().prop_map(|(a, b)| Op::Accept(a, b)),
        1 => pair.clone().prop_map(|(a, b)| Op::Decline(a, b)),
        1 => pair.clone().prop_map(|(a, b)| Op::Cancel(a, b)),
        1 => pair.prop_map(|(a, b)| Op::Remove(a, b)),
        1 => (0..n).prop_map(Op::Gift),
        3 => Just(Op::Deliver),
        2 => (0..n).prop_map(Op::Touch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Whatever players do to each other and however deliveries interleave with requests,
    /// once every delivery has arrived and been applied, every friendship is on both sides,
    /// no request is left half, and nobody is over the limit.
    #[test]
    fn friendships_end_symmetric_whatever_the_interleaving(ops in prop::collection::vec(op(5), 1..80)) {
        // Limits small enough for five players to reach them.
        let mut data = (*Player::new().data).clone();
        (data.social.friend_limit, data.social.request_limit) = (2, 2);
        let data = std::sync::Arc::new(data);
        let mut ps = players(5);
        for p in &mut ps {
            p.state.owned.counters.remove("login.day");
            p.data = data.clone();
        }
        let id = |ps: &[Player], i: usize| ps[i].state.user_id();
        for op in ops {
            match op {
                Op::Ask(a, b) => {
                    let snapshot = ps[b].snapshot();
                    let req = Q::SendFriendRequest(SendFriendRequestReq { user_id: id(&ps, b) });
                    ps[a].call_with(req, Fetched::Snapshot(Some(snapshot)));
                }
                Op::Accept(a, b) => { let other = id(&ps, b); accept(&mut ps[a], other); }
                Op::Decline(a, b) => {
                    let other = id(&ps, b);
                    ps[a].call(Q::DeclineFriendRequest(DeclineFriendRequestReq { user_id: other }));
                }
                Op::Cancel(a, b) => {
                    let other = id(&ps, b);
                    ps[a].call(Q::CancelFriendRequest(CancelFriendRequestReq { user_id: other }));
                }
                Op::Remove(a, b) => { let other = id(&ps, b); ps[a].call(Q::RemoveFriend(RemoveFriendReq { user_id: other })); }
                Op::Gift(a) => { ps[a].call(Q::SendGift(SendGiftReq { user_id: 0 })); }
                Op::Deliver => { deliver(&mut ps.iter_mut().collect::<Vec<_>>()); }
                Op::Touch(a) => touch(&mut ps[a]),
            }
            for p in &ps {
                let owned = &p.state.owned;
                let slots = owned.friends.len() + owned.friend_requests.values().filter(|r| r.outgoing).count();
                prop_assert!(slots <= p.data.social.friend_limit, "{} holds {slots} slots", p.state.user_id());
                let received = owned.friend_requests.values().filter(|r| !r.outgoing).count();
                prop_assert!(received <= p.data.social.request_limit);
            }
        }
        // Settle: deliver and apply until nothing travels.
        for _ in 0..10 {
            for p in &mut ps {
                touch(p);
            }
            if deliver(&mut ps.iter_mut().collect::<Vec<_>>()) == 0 {
                break;
            }
        }
        for p in &mut ps {
            touch(p);
        }
        prop_assert_eq!(deliver(&mut ps.iter_mut().collect::<Vec<_>>()), 0, "deliveries settle");
        for a in 0..ps.len() {
            for b in 0..ps.len() {
                let (ia, ib) = (id(&ps, a), id(&ps, b));
                prop_assert_eq!(
                    ps[a].state.owned.friends.contains_key(&ib),
                    ps[b].state.owned.friends.contains_key(&ia),
                    "friendship {} - {} on one side only", ia, ib
                );
                let sent = ps[a].state.owned.friend_requests.get(&ib).is_some_and(|r| r.outgoing);
                let received = ps[b].state.owned.friend_requests.get(&ia).is_some_and(|r| !r.outgoing);
                prop_assert_eq!(sent, received, "request {} -> {} on one side only", ia, ib);
            }
        }
    }
}

#[test]
fn an_answer_to_a_withdrawn_request_never_takes_the_asker_past_its_limit() {
    let mut data = (*Player::new().data).clone();
    data.social.friend_limit = 1;
    let data = std::sync::Arc::new(data);
    // The authority (lowest id), the asker, and another player the asker turns to.
    let [mut a, mut f, mut x] = <[Player; 3]>::try_from(players(3)).ok().expect("three players");
    for p in [&mut a, &mut f, &mut x] {
        p.data = data.clone();
    }
    let (ia, if_, ix) = (a.state.user_id(), f.state.user_id(), x.state.user_id());
    assert!(ia < if_, "a decides the pair");
    ask(&mut f, &a);
    deliver(&mut [&mut a, &mut f, &mut x]);
    // F withdraws and asks X instead while A, not yet told, accepts F's request.
    assert_eq!(f.call(Q::CancelFriendRequest(CancelFriendRequestReq { user_id: ia })).error, ErrorCode::Ok as i32);
    ask(&mut f, &x);
    assert_eq!(accept(&mut a, if_).error, ErrorCode::Ok as i32);
    for _ in 0..4 {
        deliver(&mut [&mut a, &mut f, &mut x]);
        for p in [&mut a, &mut f, &mut x] {
            touch(p);
            let owned = &p.state.owned;
            let slots = owned.friends.len() + owned.friend_requests.values().filter(|r| r.outgoing).count();
            assert!(slots <= 1, "user {} holds {slots} slots", p.state.user_id());
        }
    }
    assert_eq!(friends_of(&a).contains(&if_), friends_of(&f).contains(&ia), "both sides agree");
    assert!(requests_of(&f).contains(&(ix, true)) || friends_of(&f).contains(&ia));
}

/// A stranger's teams and monsters are read for no one: a delivery waiting from someone else
/// does not open GetFriendSnapshot to any user id, and SendFriendRequest reads only a card.
/// Only a request pending with them and a delivery from them waiting may make them a friend.
#[test]
fn strangers_snapshots_are_not_read_and_requests_read_only_their_card() {
    use crate::game::dispatch::needs;
    use crate::game::reads::{Asking, Need};
    use summoner_proto::api::GetFriendSnapshotReq;

    let [mut a, mut b, mut c, stranger] = [1, 2, 3, 4].map(|i| Player::with_id(200 + i));
    // c asks a: a delivery from c waits in a's inbox.
    assert_eq!(ask(&mut c, &a).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut c]);
    let snapshot_of = |id: u64| Q::GetFriendSnapshot(GetFriendSnapshotReq { user_id: id });
    let ask_a = Asking { state: &a.state, now_ms: a.now, test_operations: false };
    assert_eq!(needs(&ask_a, &snapshot_of(stranger.state.user_id())), None, "a stranger's snapshot is not read");
    let request = Q::SendFriendRequest(SendFriendRequestReq { user_id: stranger.state.user_id() });
    assert_eq!(needs(&ask_a, &request), Some(Need::Card { user: stranger.state.user_id() }));

    // a asked b and b accepted: b's answer waits in a's inbox, so b may be a friend there.
    assert_eq!(ask(&mut a, &b).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b, &mut c]);
    assert_eq!(accept(&mut b, a.state.user_id()).error, ErrorCode::Ok as i32);
    deliver(&mut [&mut a, &mut b, &mut c]);
    let ask_a = Asking { state: &a.state, now_ms: a.now, test_operations: false };
    assert_eq!(needs(&ask_a, &snapshot_of(b.state.user_id())), Some(Need::Snapshot { user: b.state.user_id() }));
    assert_eq!(needs(&ask_a, &snapshot_of(stranger.state.user_id())), None);
}

/// An erased user's farewells end every pair on the other side, whichever side decides it:
/// a friend and a request the user sent (the others decide: a GONE proposal, answered with
/// nothing), a request the user decides, and a request still waiting unapplied in the
/// user's inbox.
#[test]
fn an_erased_user_ends_every_pair_on_the_other_side() {
    let [mut low_friend, mut low_asker, mut gone, mut high] =
        <[Player; 4]>::try_from(players(4)).ok().expect("four players");
    let (friend_id, gone_id, high_id) = (low_friend.state.user_id(), gone.state.user_id(), high.state.user_id());
    ask(&mut gone, &low_friend);
    ask(&mut gone, &high);
    deliver(&mut [&mut low_friend, &mut gone, &mut high]);
    accept(&mut low_friend, gone_id);
    deliver(&mut [&mut low_friend, &mut gone]);
    touch(&mut gone);
    touch(&mut high);
    // Not applied by the user: it waits in the inbox when the erasure comes.
    ask(&mut low_asker, &gone);
    deliver(&mut [&mut low_asker, &mut gone]);
    assert_eq!(friends_of(&gone), [friend_id]);
    assert_eq!(requests_of(&gone), [(high_id, true)]);
    assert_eq!(requests_of(&high), [(gone_id, false)]);

    let partners = crate::game::erasure::pair_partners(&gone.state);
    assert_eq!(partners, [friend_id, low_asker.state.user_id(), high_id]);
    let mut next = 1u64 << 40;
    let farewells = crate::game::erasure::farewells(&gone.state, gone.now, &mut || {
        next += 1;
        next
    });
    gone.outbox = farewells
        .into_iter()
        .map(|w| match w {
            crate::storage::rows::RowWrite::Insert(_, row) => row,
            other => panic!("a farewell is an outbox row: {other:?}"),
        })
        .collect();
    assert_eq!(deliver(&mut [&mut low_friend, &mut low_asker, &mut gone, &mut high]), 3);
    for p in [&mut low_friend, &mut low_asker, &mut high] {
        touch(p);
        assert!(friends_of(p).is_empty() && requests_of(p).is_empty(), "user {}", p.state.user_id());
        assert!(
            p.outbox.iter().all(|row| crate::storage::delivery::inbox_row(row).is_some_and(|(to, _)| to != gone_id)),
            "nothing answers an erased user"
        );
    }
}

/// `a` and `b` become friends (`a` asks, `b` accepts, every answer applied on both sides).
fn befriend(a: &mut Player, b: &mut Player) {
    let ia = a.state.user_id();
    ask(a, b);
    deliver(&mut [&mut *a, &mut *b]);
    touch(b);
    accept(b, ia);
    deliver(&mut [&mut *a, &mut *b]);
    touch(a);
    deliver(&mut [&mut *a, &mut *b]);
    touch(b);
}

/// However many friends gift a user, the points paid stop at the day's cap (the part of a
/// gift that fits is paid); the next game day pays again.
#[test]
fn friendship_points_received_stop_at_the_day_s_cap() {
    let mut all = players(13);
    let mut receiver = all.remove(0);
    for sender in &mut all {
        befriend(sender, &mut receiver);
        answer!(sender.ok(Q::SendGift(SendGiftReq { user_id: 0 })), SendGift);
    }
    let mut everyone: Vec<&mut Player> = all.iter_mut().collect();
    everyone.push(&mut receiver);
    assert_eq!(deliver(&mut everyone), 12);
    touch(&mut receiver);
    let cap = receiver.data.social.friend_points_daily_cap.expect("the shipped data caps the day's points");
    let paid: u64 = receiver
        .state
        .owned
        .mail
        .values()
        .filter(|m| m.kind == "gift")
        .flat_map(crate::game::wallet::attachments)
        .map(|r| u64::from(r.amount))
        .sum();
    assert_eq!(paid, cap, "12 gifts of 10, and the day pays {cap}");
    let unpaid = receiver.logged("delivery_received").iter().filter(|l| l.result.contains("received already")).count();
    assert_eq!(unpaid, 12 - usize::try_from(cap / 10).expect("small"), "the gifts past the cap are logged unpaid");

    // The next game day, the same friends' gifts are paid again.
    let tomorrow = receiver.data.reset.next_reset(receiver.now);
    for sender in &mut all {
        sender.now = tomorrow;
        answer!(sender.ok(Q::SendGift(SendGiftReq { user_id: 0 })), SendGift);
    }
    receiver.now = tomorrow;
    let mut everyone: Vec<&mut Player> = all.iter_mut().collect();
    everyone.push(&mut receiver);
    deliver(&mut everyone);
    touch(&mut receiver);
    let today = receiver.state.owned.counters.get(crate::game::inbox::FRIEND_POINTS_TODAY).expect("counted");
    assert_eq!(today.value, i64::try_from(cap).expect("small"));
}

/// A gift sent by a user the receiver is no friend of any more, when it arrives, pays nothing.
#[test]
fn a_gift_from_a_friend_removed_before_it_arrives_is_not_paid() {
    let [mut a, mut b] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let ia = a.state.user_id();
    befriend(&mut a, &mut b);
    assert_eq!(b.call(Q::RemoveFriend(RemoveFriendReq { user_id: ia })).error, ErrorCode::Ok as i32);
    // Sent before `a` learns of the removal.
    answer!(a.ok(Q::SendGift(SendGiftReq { user_id: 0 })), SendGift);
    deliver(&mut [&mut a, &mut b]);
    touch(&mut b);
    assert!(b.state.owned.mail.values().all(|m| m.kind != "gift"), "no gift mail");
    let log = b.logged("delivery_received");
    assert!(log.iter().any(|l| l.result.contains("no friend now")), "{log:?}");
}

/// Leaving a clan makes the player wait before joining or founding another: the request is
/// refused before any clan action is made; once the wait is over, it is made.
#[test]
fn a_player_who_left_a_clan_waits_before_another() {
    use summoner_proto::api::{CreateClanReq, JoinClanReq, LeaveClanReq};
    use summoner_proto::social::ClanOutcome;

    let mut p = Player::with_id(300);
    let left = ClanOutcome { clan_id: 5, action: "leave".into(), change: "left".into(), ..Default::default() };
    p.call_with(Q::LeaveClan(LeaveClanReq {}), Fetched::Clan(Ok(left)));
    let join = Q::JoinClan(JoinClanReq { clan_id: 6 });
    let found = Q::CreateClan(CreateClanReq { name: "Hoppers".into(), open: true });
    fn asking(p: &Player) -> crate::game::reads::Asking<'_> {
        crate::game::reads::Asking { state: &p.state, now_ms: p.now, test_operations: true }
    }
    for q in [&join, &found] {
        assert_eq!(crate::game::dispatch::needs(&asking(&p), q), None, "no clan action is made");
        let refused = p.refused(q.clone(), ErrorCode::ClanCooldown);
        assert!(refused.message.contains("left a clan"), "{}", refused.message);
    }
    p.now += p.data.social.clan_leave_cooldown_ms;
    for q in [&join, &found] {
        assert!(crate::game::dispatch::needs(&asking(&p), q).is_some(), "the wait is over");
    }
    // A leader who disbands waits too.
    let mut leader = Player::with_id(301);
    let ended = ClanOutcome { clan_id: 7, action: "disband".into(), change: "disbanded".into(), ..Default::default() };
    leader.call_with(Q::DisbandClan(summoner_proto::api::DisbandClanReq {}), Fetched::Clan(Ok(ended)));
    leader.refused(join.clone(), ErrorCode::ClanCooldown);
}

/// A pair delivery that reaches a user after its erasure is answered like the farewells:
/// the sender's request ends on its side.
#[test]
fn a_request_that_reaches_an_erased_user_is_answered() {
    let [mut low, mut high] = <[Player; 2]>::try_from(players(2)).ok().expect("two players");
    let (high_id, high_shard) = (high.state.user_id(), high.state.shards.game);
    ask(&mut low, &high);
    assert_eq!(requests_of(&low), [(high_id, true)]);
    let (_, landed) = crate::storage::delivery::inbox_row(&low.outbox[0]).expect("an outbox row");
    low.outbox.clear();
    let mut next = 1u64 << 40;
    let answers = crate::game::erasure::answers(high_id, high_shard, &[landed.clone(), landed], high.now, &mut || {
        next += 1;
        next
    });
    assert_eq!(answers.len(), 1, "one answer per sender");
    high.outbox = answers
        .into_iter()
        .map(|w| match w {
            crate::storage::rows::RowWrite::Insert(_, row) => row,
            other => panic!("an answer is an outbox row: {other:?}"),
        })
        .collect();
    deliver(&mut [&mut low, &mut high]);
    touch(&mut low);
    assert!(requests_of(&low).is_empty(), "the request ended");
}
