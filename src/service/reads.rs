//! Reads what an operation named before its handler runs (`crate::game::reads::Need`),
//! inside the request's turn: other players' data, a clan action made in the clan
//! database, a page of the user's own action log.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::{BackendError, Session};
use summoner_proto::api::ErrorCode;

use crate::cache::Cache;
use crate::cache::behind::WriteBehind;
use crate::game::clans::Action;
use crate::game::context::Refusal;
use crate::game::reads::{Fetched, Need};
use crate::game::state::UserState;
use crate::ids::IdGenerator;
use crate::service::catalog::Catalog;
use crate::service::clan_flow::{Acting, clan_action};
use crate::service::clan_pages::{clan_page, clan_search};
use crate::service::deletions::{self, Asked};
use crate::service::failure::storage_error;
use crate::service::friend_reads::{candidates, card_or_load, profiles, snapshot_or_load};
use crate::service::oidc::Providers;
use crate::storage::{Store, UserLogQuery};

/// What the reads reach.
#[derive(Clone)]
pub struct Readers {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub behind: Arc<WriteBehind>,
    pub catalog: Arc<Catalog>,
    pub ids: &'static IdGenerator,
    /// Platforms whose ID tokens sign in (DeleteAccount checks its credential again).
    pub providers: Arc<Providers>,
    /// How long after DeleteAccount an account is erased.
    pub deletion_grace_ms: i64,
}

/// Reads `need` for the user of `state`, whose request `seq` of `session` asks for it.
pub fn fetch(
    readers: &Readers,
    need: Need,
    state: &UserState,
    session: &Session,
    seq: u64,
    now_ms: i64,
) -> BoxFuture<'static, Result<Fetched, BackendError>> {
    let Readers { store, cache, behind, catalog, ids, providers, deletion_grace_ms } = readers.clone();
    let user = state.user_id();
    match need {
        Need::Candidates { bucket } => candidates(cache, session.token_hash, bucket, now_ms).boxed(),
        Need::Snapshot { user: other } => {
            snapshot_or_load(cache, behind, store, catalog, other, now_ms).map(|r| r.map(Fetched::Snapshot)).boxed()
        }
        Need::Card { user: other } => {
            card_or_load(cache, store, catalog, other, now_ms).map(|r| r.map(Fetched::Snapshot)).boxed()
        }
        Need::Profiles { placed, unplaced } => profiles(store, cache, placed, unplaced, now_ms).boxed(),
        Need::ClanAction(action) => {
            let me = Acting { user, gold: state.profile.gold, session: session.id, seq };
            let best_effort = action == Action::CheckIn;
            clan_action(store, catalog, ids, me, action, now_ms)
                .map(move |r| match r {
                    // The clan's count is best effort: the player's own check-in does not
                    // wait on the clan database (the member's mark keeps a late commit from
                    // counting twice).
                    Err(e) if best_effort => {
                        tracing::warn!(error = %e, "a check-in not counted for its clan");
                        Ok(Fetched::Clan(Err(Refusal::new(ErrorCode::Unavailable, e.to_string()))))
                    }
                    other => other,
                })
                .boxed()
        }
        Need::ClanPage { clan_id } => clan_page(store, catalog, user, clan_id, now_ms).boxed(),
        Need::ClanSearch { prefix } => clan_search(store, catalog, prefix, now_ms).boxed(),
        Need::AccountDeletion { credential } => {
            let asked = Asked { user, shards: state.shards, now_ms, grace_ms: deletion_grace_ms, seq };
            async move { deletions::request(&store, &providers, credential.as_ref(), asked).await.map(Fetched::Deletion) }
                .boxed()
        }
        Need::OwnLog { action, before, limit } => {
            let query = UserLogQuery {
                user,
                log_shard: state.shards.log,
                actions: vec![action.to_owned()],
                before,
                from_ms: 0,
                to_ms: i64::MAX,
                limit,
                params: None,
            };
            async move { store.user_logs(query).await.map(Fetched::OwnLog).map_err(storage_error) }.boxed()
        }
    }
}
