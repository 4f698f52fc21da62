//! `UserState`: everything a user's actor holds about its user (the profile and the entities
//! the user owns), the [`Draft`] a request works on, and the [`Delta`] a committed request
//! applies to the state.
//!
//! A draft copies the profile (a fixed handful of values) and lays [`Overlays`] over the
//! entities, so making it and finding what changed cost what the request touches, not what
//! the user owns.

use summoner_proto::api;

use crate::game::data::GameData;
use crate::game::entities::{Friend, Overlays, Owned, OwnedChanges};
use crate::game::profile::Profile;
use crate::game::wallet::FRIEND_POINTS;
use crate::storage::rows::RowError;
use crate::storage::{UserRows, UserShards};

/// Ids a single request may mint at most; the dispatcher keeps at least this many in the
/// user's block before every request.
pub const MINT_RESERVE: u64 = 128;

/// A user's game state.
#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    pub profile: Profile,
    pub owned: Owned,
    /// Where the user's rows live (assigned at registration, never changed).
    pub shards: UserShards,
    /// The owner epoch this activation loaded; its commits are fenced by it.
    pub epoch: i64,
    /// The id block (or a side key) was taken when the state loaded and is not stored yet: the
    /// next commit writes it.
    pub ids_unsaved: bool,
    /// This activation has not published the user's friend snapshot yet: its first commit
    /// does (`crate::game::dispatch`), so every user active lately has one in the cache for
    /// friend lists to read, whether or not they changed what friends see.
    pub snapshot_unpublished: bool,
}

impl UserState {
    /// A state with a profile and nothing owned (new users, tests).
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            owned: Owned::default(),
            shards: UserShards::default(),
            epoch: 0,
            ids_unsaved: false,
            snapshot_unpublished: false,
        }
    }

    /// The state stored in `rows` (loaded for [`crate::game::entities::TABLES`]).
    pub fn from_rows(rows: &UserRows) -> Result<Self, RowError> {
        Ok(Self {
            profile: Profile::from_row(&rows.profile)?,
            owned: Owned::from_tables(&rows.tables)?,
            shards: rows.shards,
            epoch: rows.epoch,
            ids_unsaved: false,
            snapshot_unpublished: false,
        })
    }

    /// The user's id.
    pub fn user_id(&self) -> u64 {
        self.profile.user_id
    }

    /// A draft for one request.
    pub fn draft(&self) -> Draft<'_> {
        Draft { profile: self.profile.clone(), owned: self.owned.overlays() }
    }

    /// Applies a committed request's changes.
    pub fn apply(&mut self, delta: Delta) {
        self.profile = delta.profile;
        if delta.ids_saved {
            self.ids_unsaved = false;
        }
        if delta.snapshot_published {
            self.snapshot_unpublished = false;
        }
        self.owned.apply(delta.owned);
    }

    /// The profile as the client sees it at `now_ms`.
    pub fn to_proto(&self, data: &GameData, now_ms: i64) -> api::User {
        let points = self.owned.counters.get(FRIEND_POINTS).map_or(0, |c| c.value);
        user_proto(&self.profile, self.owned.friends.values(), points, data, now_ms)
    }
}

/// What a request works on: a copy of the profile and overlays of the entities.
pub struct Draft<'s> {
    pub profile: Profile,
    pub owned: Overlays<'s>,
}

impl Draft<'_> {
    /// The user's id.
    pub fn user_id(&self) -> u64 {
        self.profile.user_id
    }

    /// The profile as the client sees it at `now_ms`, with the request's changes.
    pub fn to_proto(&self, data: &GameData, now_ms: i64) -> api::User {
        let points = self.owned.counters.get(FRIEND_POINTS).map_or(0, |c| c.value);
        user_proto(&self.profile, self.owned.friends.iter(), points, data, now_ms)
    }
}

/// What a committed request changes of the state.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// The new profile (a committed request at least moved its `updated_at_ms`).
    pub profile: Profile,
    pub owned: OwnedChanges,
    /// The commit stored the id block taken at load.
    pub ids_saved: bool,
    /// The commit publishes the user's friend snapshot.
    pub snapshot_published: bool,
}

/// The profile as the client sees it, with the friends in the order they were made.
fn user_proto<'f>(
    profile: &Profile,
    friends: impl Iterator<Item = &'f Friend>,
    friend_points: i64,
    data: &GameData,
    now_ms: i64,
) -> api::User {
    let mut friends: Vec<&Friend> = friends.collect();
    friends.sort_by_key(|f| (f.since_ms, f.id));
    api::User {
        user_id: profile.user_id,
        nickname: profile.nickname.clone(),
        level: profile.level,
        exp: profile.exp,
        gold: profile.gold,
        gems: profile.gems,
        stamina: profile.stamina_now(data, now_ms),
        stamina_max: data.stamina_max(profile.level),
        created_at_ms: profile.created_at_ms,
        friend_ids: friends.into_iter().map(|f| f.id).collect(),
        friend_points: friend_points.max(0) as u64,
    }
}
