//! Clans as players read them: one clan (0: the user's own) with its members' and, for its
//! leader and officers, the requests' summaries (profiles read one query per game shard),
//! and clans found by the prefix of their name.

use std::collections::HashMap;
use std::sync::Arc;

use summoner_actors::{BackendError, UserId};
use summoner_proto::api::{ClanMember, ErrorCode, FriendSnapshot};

use crate::game::clans::{self, ClanView};
use crate::game::context::Refusal;
use crate::game::friends;
use crate::game::profile::Profile;
use crate::game::reads::Fetched;
use crate::service::catalog::Catalog;
use crate::service::failure::storage_error;
use crate::storage::Store;

/// A clan (0: the user's own) with its members' and, for its leader and officers, the
/// requests' summaries: profiles read one query per game shard.
pub async fn clan_page(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    user: UserId,
    clan_id: u64,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let id = match clan_id {
        0 => match store.clan_of(user).await.map_err(storage_error)? {
            Some(id) => id,
            None => return Ok(Fetched::ClanPage(Err(Refusal::new(ErrorCode::NotInClan, "you are in no clan")))),
        },
        id => id,
    };
    let Some(rows) = store.clan(id).await.map_err(storage_error)? else {
        return Ok(Fetched::ClanPage(Err(Refusal::new(ErrorCode::NoSuchClan, format!("no clan {id}")))));
    };
    let view = ClanView::from_rows(&rows).map_err(|e| BackendError::new(format!("read clan {id}"), e))?;
    let staff = view.members.iter().any(|m| m.user == user && m.role != clans::Role::Member);
    let asking: Vec<(u64, i64)> = if staff { view.requests.clone() } else { Vec::new() };
    let ids: Vec<UserId> = view.members.iter().map(|m| m.user).chain(asking.iter().map(|(u, _)| *u)).collect();
    let profiles = if ids.is_empty() { Vec::new() } else { store.load_profiles(ids).await.map_err(storage_error)? };
    let summaries: HashMap<u64, FriendSnapshot> = profiles
        .iter()
        .filter_map(|p| Profile::from_row(&p.row).ok())
        .map(|p| (p.user_id, friends::snapshot(&p, false, now_ms)))
        .collect();
    let data = catalog.current();
    let member = |user: u64, role: &str, at: i64| ClanMember {
        user_id: user,
        role: role.to_owned(),
        joined_at_ms: at,
        summary: summaries.get(&user).cloned(),
    };
    let mut members: Vec<ClanMember> =
        view.members.iter().map(|m| member(m.user, m.role.name(), m.joined_at_ms)).collect();
    members.sort_by_key(|m| (m.role != "leader", m.role != "officer", m.joined_at_ms, m.user_id));
    let requests = asking.iter().map(|(u, at)| member(*u, "request", *at)).collect();
    Ok(Fetched::ClanPage(Ok((view.info(&data, now_ms), members, requests))))
}

/// Clans whose name starts with `prefix`.
pub async fn clan_search(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    prefix: String,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    if prefix.is_empty() {
        return Ok(Fetched::Clans(Vec::new()));
    }
    let rows = store.search_clans(prefix, clans::SEARCH_LIMIT).await.map_err(storage_error)?;
    let data = catalog.current();
    let found =
        rows.iter().filter_map(|row| clans::from_row(row).ok()).map(|c| clans::info(&c, &data, now_ms)).collect();
    Ok(Fetched::Clans(found))
}
