//! Friend rules: level buckets for recommendations, how candidates are picked, and what a
//! friend operation reads before its handler runs ([`Fetched`]).
//!
//! Recently active players are kept in the cache by level bucket ([`bucket`]); a
//! recommendation reads the caller's bucket and its two neighbours (one round trip), drops
//! the caller and their friends, and draws [`RECOMMEND_COUNT`] at random from the caller's
//! bucket, filling from the neighbours only when it is thin, from a side stream of the user's
//! key chosen by the request's seq (`crate::game::dispatch::side_stream`): varied from call
//! to call, the same for a retry.

use rand::seq::SliceRandom;
use summoner_proto::api::{FriendCard, FriendSnapshot};

use crate::game::data::GameData;
use crate::game::entities::{Change, Monster, Owned, OwnedChanges};
use crate::game::profile::Profile;
use crate::game::state::UserState;
use crate::game::{monsters, stats};

/// Levels per recommendation bucket (levels 1–5 are bucket 0, 6–10 bucket 1, ...).
pub const LEVELS_PER_BUCKET: u32 = 5;
/// Candidates a recommendation returns.
pub const RECOMMEND_COUNT: usize = 5;
/// Players read from the caller's bucket per recommendation (the most recently active) ...
pub const BUCKET_READ: usize = 100;
/// ... and from each neighbouring bucket.
pub const NEIGHBOUR_READ: usize = 20;
/// Players kept per bucket.
pub const BUCKET_CAP: usize = 2000;
/// How recently a player must have been active to be recommended.
pub const ACTIVE_WINDOW_MS: i64 = 3_600_000;

/// The recommendation bucket of a level.
pub fn bucket(level: u32) -> u32 {
    level.saturating_sub(1) / LEVELS_PER_BUCKET
}

/// A user's card as recommendation lists show it.
pub fn card(user: &Profile, now_ms: i64) -> FriendCard {
    FriendCard { user_id: user.user_id, nickname: user.nickname.clone(), level: user.level, active_at_ms: now_ms }
}

/// A user as friends see them; `box_full`: their box of friend requests is full.
pub fn snapshot(user: &Profile, box_full: bool, now_ms: i64) -> FriendSnapshot {
    FriendSnapshot {
        user_id: user.user_id,
        nickname: user.nickname.clone(),
        level: user.level,
        taken_at_ms: now_ms,
        leader: user.leader.clone(),
        last_active_ms: user.updated_at_ms,
        request_box_full: box_full,
        ..FriendSnapshot::default()
    }
}

/// What a stranger may see of a snapshot: who, their level, whether their box of friend
/// requests is full; not their team.
pub fn card_of(snapshot: FriendSnapshot) -> FriendSnapshot {
    FriendSnapshot { team: Vec::new(), team_power: 0, has_team: false, ..snapshot }
}

/// The first team (the friend dungeon's) as friends fight it: its monsters with their stats,
/// and its power.
pub fn with_team(data: &GameData, mut snapshot: FriendSnapshot, team: &[Monster]) -> FriendSnapshot {
    snapshot.team_power = stats::team_power(data, team, &[]);
    snapshot.team = team.iter().map(|m| monsters::info(data, m)).collect();
    snapshot.has_team = true;
    snapshot
}

/// The counter marking that the user gifted friend `id` this game day.
pub fn gifted(id: u64) -> String {
    format!("gift.{id}")
}

/// The counter marking that the user visited friend `id`'s dungeon this game day.
pub fn visited(id: u64) -> String {
    format!("dungeon.{id}")
}

/// What friends see of a user whose rows are `profile` and `owned` (at least their teams,
/// monsters and friend requests): the whole snapshot, first team and request box included.
pub fn snapshot_of(data: &GameData, profile: &Profile, owned: &Owned, now_ms: i64) -> FriendSnapshot {
    let waiting = owned.friend_requests.values().filter(|r| !r.outgoing).count();
    let seen = snapshot(profile, waiting >= data.social.request_limit, now_ms);
    with_team(data, seen, &first_team(owned))
}

/// The slot of the team friends fight in the dungeon.
pub const DUNGEON_SLOT: u64 = 1;

/// The first team's monsters in `owned` (rows read back from storage).
pub fn first_team(owned: &Owned) -> Vec<Monster> {
    let members = owned.teams.get(&DUNGEON_SLOT).map(|t| t.members.as_slice()).unwrap_or(&[]);
    members.iter().filter_map(|id| owned.monsters.get(id)).cloned().collect()
}

/// The first team's monsters once `changes` apply to `state` (copies only those).
pub fn first_team_after(state: &UserState, changes: &OwnedChanges) -> Vec<Monster> {
    let members = match changes.teams.iter().find(|(slot, _)| *slot == DUNGEON_SLOT) {
        Some((_, Change::Inserted(team) | Change::Updated(team))) => team.members.clone(),
        Some((_, Change::Deleted)) => Vec::new(),
        None => state.owned.teams.get(&DUNGEON_SLOT).map(|t| t.members.clone()).unwrap_or_default(),
    };
    let monster = |id: &u64| match changes.monsters.iter().find(|(key, _)| key == id) {
        Some((_, Change::Inserted(m) | Change::Updated(m))) => Some(m.clone()),
        Some((_, Change::Deleted)) => None,
        None => state.owned.monsters.get(id).cloned(),
    };
    members.iter().filter_map(monster).collect()
}

/// Whether `changes` touch the first team: its slot, or one of its monsters.
fn first_team_changed(state: &UserState, changes: &OwnedChanges) -> bool {
    if changes.teams.iter().any(|(slot, _)| *slot == DUNGEON_SLOT) {
        return true;
    }
    let members = state.owned.teams.get(&DUNGEON_SLOT).map(|t| t.members.as_slice()).unwrap_or(&[]);
    changes.monsters.iter().any(|(id, _)| members.contains(id))
}

/// Friend requests waiting in the box of `state` once `changes` apply.
pub fn requests_received(state: &UserState, changes: &OwnedChanges) -> usize {
    let before = state.owned.friend_requests.values().filter(|r| !r.outgoing).count();
    changes.friend_requests.iter().fold(before, |count, (key, change)| {
        let was = state.owned.friend_requests.get(key).is_some_and(|r| !r.outgoing);
        let is = matches!(change, Change::Inserted(r) | Change::Updated(r) if !r.outgoing);
        (count + usize::from(is)).saturating_sub(usize::from(was))
    })
}

/// Whether a committed change alters what friends see of the user (then the snapshot in the
/// cache is replaced): the nickname, level or leader, the first team (the dungeon's), or
/// whether the request box is full.
pub fn seen_by_friends_changed(
    state: &UserState,
    profile: &Profile,
    changes: &OwnedChanges,
    request_limit: usize,
) -> bool {
    let before = &state.profile;
    if profile.nickname != before.nickname || profile.level != before.level || profile.leader != before.leader {
        return true;
    }
    if first_team_changed(state, changes) {
        return true;
    }
    if changes.friend_requests.is_empty() {
        return false;
    }
    let was_full = state.owned.friend_requests.values().filter(|r| !r.outgoing).count() >= request_limit;
    was_full != (requests_received(state, changes) >= request_limit)
}

/// Who asks for recommendations: their profile and whether a user is their friend or has a
/// friend request pending with them (either way).
pub struct Asker<'a> {
    pub profile: &'a Profile,
    pub is_friend_or_asked: &'a dyn Fn(u64) -> bool,
}

/// Whether `card` may be recommended to `user`.
pub fn eligible(user: &Asker, card: &FriendCard) -> bool {
    card.user_id != user.profile.user_id && !(user.is_friend_or_asked)(card.user_id)
}

/// Picks up to [`RECOMMEND_COUNT`] distinct eligible players, from `own` (the caller's
/// bucket) first and from `near` (the neighbouring buckets) only to fill up, at random
/// from a stream of the user's seed and `seq`.
pub fn pick(user: &Asker, own: &[FriendCard], near: &[FriendCard], seq: u64) -> Vec<FriendCard> {
    let mut seen = std::collections::HashSet::new();
    // A player may be listed twice (a move between buckets); lists are newest first, so the
    // first is kept.
    let mut distinct = |cards: &[FriendCard]| -> Vec<FriendCard> {
        cards.iter().filter(|c| eligible(user, c) && seen.insert(c.user_id)).cloned().collect()
    };
    let (mut own, mut near) = (distinct(own), distinct(near));
    // A stream of the user's key of its own for each seq (never the gameplay stream: the
    // order is shown), the same for a retry of that seq.
    let mut rng = crate::game::dispatch::side_stream(user.profile, (seq << 8) | 2, 0);
    let (chosen, _) = own.partial_shuffle(&mut rng, RECOMMEND_COUNT);
    let mut chosen = chosen.to_vec();
    let missing = RECOMMEND_COUNT - chosen.len();
    let (filled, _) = near.partial_shuffle(&mut rng, missing);
    chosen.extend_from_slice(filled);
    chosen
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::game::data::GameData;
    use crate::game::entities::Friend;

    fn user(id: u64, friends: Vec<u64>) -> UserState {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut user = UserState::new(Profile { user_id: id, ..Profile::new_user(&data, id * 31, 0..0, 0) });
        user.owned.friends = friends.into_iter().map(|id| (id, Friend::new(id, 1, 0))).collect();
        user
    }

    fn pick(user: &UserState, own: &[FriendCard], near: &[FriendCard], seq: u64) -> Vec<FriendCard> {
        let taken = |id| user.owned.friends.contains_key(&id) || user.owned.friend_requests.contains_key(&id);
        super::pick(&Asker { profile: &user.profile, is_friend_or_asked: &taken }, own, near, seq)
    }

    fn cards(ids: impl IntoIterator<Item = u64>) -> Vec<FriendCard> {
        ids.into_iter().map(|id| FriendCard { user_id: id, level: 3, ..Default::default() }).collect()
    }

    #[test]
    fn buckets_group_five_levels() {
        assert_eq!([bucket(1), bucket(5), bucket(6), bucket(50)], [0, 0, 1, 9]);
    }

    #[test]
    fn picks_exclude_self_friends_pending_requests_and_duplicates_and_vary_with_seq() {
        let mut me = user(1, vec![2]);
        let asked = crate::game::entities::FriendRequest { other: 3, outgoing: false, other_shard: 1, sent_at_ms: 0 };
        me.owned.friend_requests.insert(3, asked);
        let pool = cards([1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let mut seen_lists = std::collections::HashSet::new();
        for seq in 1..20 {
            let picked = pick(&me, &pool, &cards([100, 101]), seq);
            let ids: Vec<u64> = picked.iter().map(|c| c.user_id).collect();
            assert_eq!(ids.len(), RECOMMEND_COUNT);
            assert!(ids.iter().all(|id| ![1, 2, 3].contains(id)), "{ids:?}");
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), ids.len(), "{ids:?}");
            assert_eq!(pick(&me, &pool, &cards([100, 101]), seq), picked, "a retry gets the same list");
            assert!(ids.iter().all(|id| *id < 100), "neighbours only fill a thin bucket: {ids:?}");
            seen_lists.insert(unique);
        }
        assert!(seen_lists.len() > 5, "recommendations hardly vary: {seen_lists:?}");
    }

    #[test]
    fn a_thin_bucket_is_filled_from_the_neighbours() {
        let me = user(1, vec![2]);
        let picked = pick(&me, &cards([1, 2, 3, 4]), &cards([3, 50, 51, 52, 53]), 9);
        let ids: Vec<u64> = picked.iter().map(|c| c.user_id).collect();
        assert_eq!(ids.len(), RECOMMEND_COUNT);
        assert!(ids.contains(&3) && ids.contains(&4), "the own bucket comes first: {ids:?}");
        assert_eq!(ids.iter().filter(|id| **id >= 50).count(), 3, "{ids:?}");
        assert!(pick(&me, &cards([1, 2]), &[], 9).is_empty());
    }
}
