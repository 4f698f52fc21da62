//! A clan action made in the clan database before the request's handler runs: its recorded
//! result when this request made it already (a retry), else the clan read, the action
//! decided by the pure rules (`crate::game::clans`) and committed if the clan is unchanged,
//! read and decided again if it changed (at most [`CLAN_ATTEMPTS`] times, then 503).

use std::sync::Arc;

use prost::Message;
use summoner_actors::{BackendError, FailureKind, UserId};
use summoner_proto::api::ErrorCode;
use summoner_proto::social::ClanOutcome;

use crate::game::clans::{self, Action, ClanView};
use crate::game::context::Refusal;
use crate::game::reads::Fetched;
use crate::ids::IdGenerator;
use crate::service::catalog::Catalog;
use crate::service::failure::storage_error;
use crate::storage::rows::Value;
use crate::storage::{ClanCommit, ClanCommitError, Store};

/// Who makes a clan action, and the request it is (its result is recorded by it).
pub struct Acting {
    pub user: UserId,
    pub gold: u64,
    pub session: u64,
    pub seq: u64,
}

/// Clan actions decided again after the clan changed under them, at most.
pub const CLAN_ATTEMPTS: usize = 16;

/// Makes a clan action: its recorded result when this request made it already (a retry);
/// else the clan read, the action decided on it and committed if the clan is unchanged, read
/// and decided again if it changed.
pub async fn clan_action(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    ids: &'static IdGenerator,
    me: Acting,
    action: Action,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let kind = action.kind();
    let recorded = |bytes: Vec<u8>| {
        let outcome = ClanOutcome::decode(bytes.as_slice())
            .map_err(|e| BackendError::new("read a clan action's recorded result", e))?;
        if outcome.action != kind {
            let message = format!("seq {} made another clan action ({})", me.seq, outcome.action);
            return Ok(Fetched::Clan(Err(Refusal::new(ErrorCode::InvalidArgument, message))));
        }
        Ok(Fetched::Clan(Ok(outcome)))
    };
    if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
        return recorded(bytes);
    }
    let data = catalog.current();
    let read = |e: crate::storage::rows::RowError| BackendError::new("read a clan", e);
    for _ in 0..CLAN_ATTEMPTS {
        let mine = store.clan_of(me.user).await.map_err(storage_error)?;
        let target_id = match &action {
            Action::Join { clan_id } => Some(*clan_id),
            Action::Create { .. } => None,
            _ => mine,
        };
        let target = match target_id {
            Some(id) => store
                .clan(id)
                .await
                .map_err(storage_error)?
                .map(|rows| ClanView::from_rows(&rows))
                .transpose()
                .map_err(read)?,
            None => None,
        };
        let actor = clans::Actor { user: me.user, gold: me.gold, in_clan: mine.is_some() };
        let decided = clans::decide(&data, &actor, target.as_ref(), &action, now_ms, &mut || ids.next_id());
        let decision = match decided {
            Ok(decision) if !decision.writes.is_empty() => decision,
            answer => {
                // A refusal, or nothing to change (a request asked again, a check-in counted
                // already): no commit, so the clan does not move for the others. Unless an
                // earlier try of this request committed late, after the look-up above.
                if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
                    return recorded(bytes);
                }
                return Ok(Fetched::Clan(answer.map(|d| d.outcome)));
            }
        };
        let op = vec![
            Value::uint(me.user),
            Value::uint(me.session),
            Value::uint(me.seq),
            Value::Bytes(decision.outcome.encode_to_vec()),
            Value::Int(now_ms),
        ];
        let commit = ClanCommit { clan_id: decision.clan_id, version: decision.version, writes: decision.writes, op };
        let failed = match store.clan_commit(commit).await {
            Ok(()) => {
                withdraw_other_requests(&store, &me, &action, &decision.outcome).await;
                return Ok(Fetched::Clan(Ok(decision.outcome)));
            }
            Err(failed) => failed,
        };
        // An earlier try of this very request may have committed meanwhile (its answer was
        // lost, and its transaction finished after): then the clan moved, or a key is taken,
        // because of it, and its record is the answer.
        if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
            return recorded(bytes);
        }
        match failed {
            ClanCommitError::Moved => continue,
            ClanCommitError::Taken(what) => return Ok(Fetched::Clan(Err(clans::taken(&action, &what)))),
            ClanCommitError::Store(e) => return Err(storage_error(e)),
        }
    }
    Err(BackendError::of(FailureKind::Overloaded, "clan", "the clan changed too often meanwhile; retry"))
}

/// Once a player is in a clan (joined, founded, or taken in), their requests to join other
/// clans are withdrawn: one approved after they left this clan would skip the wait after
/// leaving (`clan_leave_cooldown_secs`). Best effort: the action is committed either way, and
/// an approval of a request left behind still meets the one-clan-per-user index while they
/// stay.
async fn withdraw_other_requests(store: &Arc<dyn Store>, me: &Acting, action: &Action, outcome: &ClanOutcome) {
    let member = match action {
        Action::Join { .. } if outcome.joined => me.user,
        Action::Create { .. } => me.user,
        Action::Approve { user } => *user,
        _ => return,
    };
    if let Err(e) = store.withdraw_clan_requests(member).await {
        tracing::warn!(user.id = member, error = %e, "requests to join other clans not withdrawn");
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::game::data::GameData;
    use crate::storage::memory::MemoryStore;

    fn act(store: &Arc<MemoryStore>, catalog: &Arc<Catalog>, user: u64, seq: u64, action: Action) -> ClanOutcome {
        let me = Acting { user, gold: u64::MAX, session: 5, seq };
        let store: Arc<dyn Store> = store.clone();
        let fetched = clan_action(store, catalog.clone(), crate::ids::generator(0), me, action, 1_000)
            .now_or_never()
            .expect("the in-memory store answers at once")
            .expect("no storage failure");
        match fetched {
            Fetched::Clan(Ok(outcome)) => outcome,
            other => panic!("not a committed clan action: {other:?}"),
        }
    }

    /// A clan action retried with its request's (session, seq) is answered from its record,
    /// not made again.
    #[test]
    fn a_retried_clan_action_is_answered_from_its_record() {
        let store = Arc::new(MemoryStore::new());
        let catalog = Arc::new(Catalog::new(GameData::embedded().expect("game data"), None));
        let founded = act(&store, &catalog, 1, 1, Action::Create { name: "Wolves".into(), open: true });
        let clan = founded.clan_id;
        let joined = act(&store, &catalog, 2, 9, Action::Join { clan_id: clan });
        assert!(joined.joined);
        let again = act(&store, &catalog, 2, 9, Action::Join { clan_id: clan });
        assert_eq!(again, joined, "the record answers");
        let rows = store.clan(clan).now_or_never().expect("at once").expect("read").expect("the clan");
        assert_eq!(rows.members.len(), 2);
        let view = ClanView::from_rows(&rows).expect("rows read back");
        assert_eq!(view.clan.member_count, 2);
    }

    /// Once a player is in a clan, their requests to other clans are withdrawn (and those
    /// clans' versions move): a request approved after they left would skip the wait after
    /// leaving.
    #[test]
    fn joining_a_clan_withdraws_requests_to_others() {
        let store = Arc::new(MemoryStore::new());
        let catalog = Arc::new(Catalog::new(GameData::embedded().expect("game data"), None));
        let closed = act(&store, &catalog, 1, 1, Action::Create { name: "Closed".into(), open: false }).clan_id;
        let open = act(&store, &catalog, 3, 1, Action::Create { name: "Open".into(), open: true }).clan_id;
        let asked = act(&store, &catalog, 2, 1, Action::Join { clan_id: closed });
        assert!(!asked.joined, "a request waits");
        let rows = |id| store.clan(id).now_or_never().expect("at once").expect("read").expect("the clan");
        let version = ClanView::from_rows(&rows(closed)).expect("rows").clan.version;
        assert_eq!(rows(closed).requests.len(), 1);
        assert!(act(&store, &catalog, 2, 2, Action::Join { clan_id: open }).joined);
        assert!(rows(closed).requests.is_empty(), "the request to the other clan is withdrawn");
        let after = ClanView::from_rows(&rows(closed)).expect("rows").clan.version;
        assert!(after > version, "its version moved: an approval decided before is decided again");
    }
}
