//! What friend operations read of other players: a friend's snapshot (from the cache, rebuilt
//! from the player's rows when the cache lost it), a stranger's card (never their teams),
//! users as friend lists show them (from the snapshot cache, else one query per game shard),
//! and recently active players of a level bucket (one cache round trip).

use std::sync::Arc;

use summoner_actors::{BackendError, TokenHash, UserId};
use summoner_proto::api::FriendSnapshot;

use crate::cache::Cache;
use crate::cache::behind::WriteBehind;
use crate::game::entities::{Owned, load_entities};
use crate::game::friends;
use crate::game::profile::Profile;
use crate::game::reads::Fetched;
use crate::service::catalog::Catalog;
use crate::service::failure::{cache_error, storage_error};
use crate::storage::Store;
use crate::storage::tables::{FRIEND_REQUESTS, MONSTERS, TEAMS};

/// A user's snapshot, whole (their first team and whether their box of requests is full
/// included): from the cache, else rebuilt from their rows as committed (profile, teams,
/// monsters, friend requests) and cached without holding the reply. A cached snapshot
/// without a team (taken by an older version) is rebuilt too.
pub async fn snapshot_or_load(
    cache: Arc<dyn Cache>,
    behind: Arc<WriteBehind>,
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    user: UserId,
    now_ms: i64,
) -> Result<Option<FriendSnapshot>, BackendError> {
    if let Some(snapshot) = cache.snapshot(user).await.map_err(cache_error)?.filter(|s| s.has_team) {
        return Ok(Some(snapshot));
    }
    let Some(rows) = store.peek_user(user, SNAPSHOT_TABLES).await.map_err(storage_error)? else { return Ok(None) };
    let read = |e| BackendError::new(format!("read what friends see of user {user}"), e);
    let profile = Profile::from_row(&rows.profile).map_err(read)?;
    let [teams, monsters, requests] = rows.tables.as_slice() else {
        return Err(BackendError::new(format!("read what friends see of user {user}"), "tables missing"));
    };
    let owned = Owned {
        teams: load_entities(teams).map_err(read)?,
        monsters: load_entities(monsters).map_err(read)?,
        friend_requests: load_entities(requests).map_err(read)?,
        ..Owned::default()
    };
    let data = catalog.current();
    let snapshot = friends::snapshot_of(&data, &profile, &owned, now_ms);
    behind.send("friend snapshot read from the database", user, cache.fill_snapshot(snapshot.clone()));
    Ok(Some(snapshot))
}

/// A user's card as a stranger sees it: the cached snapshot stripped of its team, else built
/// from their profile and friend requests' rows as committed (their teams and monsters are
/// not read). Not cached: the cache keeps whole snapshots only.
pub async fn card_or_load(
    cache: Arc<dyn Cache>,
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    user: UserId,
    now_ms: i64,
) -> Result<Option<FriendSnapshot>, BackendError> {
    if let Some(snapshot) = cache.snapshot(user).await.map_err(cache_error)? {
        return Ok(Some(friends::card_of(snapshot)));
    }
    let Some(rows) = store.peek_user(user, CARD_TABLES).await.map_err(storage_error)? else { return Ok(None) };
    let read = |e| BackendError::new(format!("read the card of user {user}"), e);
    let profile = Profile::from_row(&rows.profile).map_err(read)?;
    let [requests] = rows.tables.as_slice() else {
        return Err(BackendError::new(format!("read the card of user {user}"), "tables missing"));
    };
    let owned = Owned { friend_requests: load_entities(requests).map_err(read)?, ..Owned::default() };
    Ok(Some(friends::card_of(friends::snapshot_of(&catalog.current(), &profile, &owned, now_ms))))
}

/// What a card is built from when the cache lost the snapshot (besides the profile).
static CARD_TABLES: &[&crate::storage::rows::TableDef] = &[&FRIEND_REQUESTS];

/// What a snapshot is rebuilt from when the cache lost it (besides the profile).
static SNAPSHOT_TABLES: &[&crate::storage::rows::TableDef] = &[&TEAMS, &MONSTERS, &FRIEND_REQUESTS];

/// Other users as a friend list shows them (ListFriends, ListFriendRequests): their
/// snapshots from the cache, without their teams, in one round trip per Redis shard; those
/// the cache does not hold (or all, when it fails) from their profiles as committed, one
/// query per game shard for those whose shard is known and through the common database
/// for the others.
///
/// Freshness: a user's actor publishes their snapshot after the first commit of each
/// activation and after each commit that changes what friends see (nickname, level,
/// leader, first team, a full request box), without holding its reply, so a list may show
/// a change a moment late; a publication lost with a Redis failure (or dropped by the
/// write-behind under overload) leaves the older snapshot until its TTL
/// (`crate::cache::ENTRY_TTL`, an hour), as does an erasure whose cache clean-up failed
/// until the friendship's end reaches the lister. From the cache, `last_active_ms` is the
/// user's last change the snapshot saw and `request_box_full` is known; from a profile,
/// the profile's last change and always false.
pub async fn profiles(
    store: Arc<dyn Store>,
    cache: Arc<dyn Cache>,
    placed: Vec<(UserId, i16)>,
    unplaced: Vec<UserId>,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let wanted = placed.iter().map(|(user, _)| *user).chain(unplaced.iter().copied()).collect();
    let cached = cache.snapshots(wanted).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "friends' snapshots read from their game shards: the cache failed");
        Vec::new()
    });
    let found: std::collections::HashSet<UserId> = cached.iter().map(|s| s.user_id).collect();
    let placed: Vec<_> = placed.into_iter().filter(|(user, _)| !found.contains(user)).collect();
    let unplaced: Vec<_> = unplaced.into_iter().filter(|user| !found.contains(user)).collect();
    let mut snapshots: Vec<FriendSnapshot> = cached.into_iter().map(friends::card_of).collect();
    let mut rows = Vec::new();
    if !placed.is_empty() {
        rows.extend(store.load_profiles_on(placed).await.map_err(storage_error)?);
    }
    if !unplaced.is_empty() {
        rows.extend(store.load_profiles(unplaced).await.map_err(storage_error)?);
    }
    snapshots.extend(
        rows.iter()
            .filter_map(|p| Profile::from_row(&p.row).ok())
            // Whether their request box is full is not read here (the snapshot in the cache has it).
            .map(|p| friends::snapshot(&p, false, now_ms)),
    );
    Ok(Fetched::Profiles(snapshots))
}

/// Recently active players of `bucket` and its neighbours, from the shard of the caller's
/// session: one round trip.
pub async fn candidates(
    cache: Arc<dyn Cache>,
    token: TokenHash,
    bucket: u32,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let since = now_ms - friends::ACTIVE_WINDOW_MS;
    let mut reads = vec![(bucket, friends::BUCKET_READ), (bucket + 1, friends::NEIGHBOUR_READ)];
    if let Some(below) = bucket.checked_sub(1) {
        reads.push((below, friends::NEIGHBOUR_READ));
    }
    let mut lists = cache.recent_active(token, reads, since).await.map_err(cache_error)?.into_iter();
    let own = lists.next().unwrap_or_default();
    let mut near: Vec<_> = lists.flatten().collect();
    near.sort_by_key(|c| std::cmp::Reverse(c.active_at_ms));
    Ok(Fetched::Candidates { own, near })
}
