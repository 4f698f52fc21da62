//! Accounts' deletions (a player's right to erasure): DeleteAccount's record, made once its
//! credential signs in the session's account again, and the erasure of every account whose
//! grace period ended ([`Eraser`], run by the `account_deletions` job on every node).
//!
//! An erasure goes step by step, each step idempotent and its phase recorded in the common
//! database (`storage::DeletionPhase`), so a run cut short (a crash, a timeout, a database
//! down) goes on from where it was at the next run, on any node:
//!
//! 1. *Waiting → Erasing*: the claim, once the grace period is over and no session of the
//!    user is live (DeleteAccount ends the session with its record; a session opened since
//!    keeps the account until it ends); from now on a Login is refused instead of
//!    cancelling.
//! 2. The game shard, in the user's actor and one commit fenced like a request's: the inbox
//!    read again, every friend and request partner told the pair ends (`game::erasure`),
//!    every row of the user deleted. A user a live peer owns is left to that peer's run.
//! 3. The clan database: requests to join withdrawn (each clan's version moves, so an
//!    approval decided before is decided again), then the clan left; a leader hands the lead
//!    to the officer who joined first, else the member who did, or disbands a clan they are
//!    alone in (`game::clans::Action::Depart`).
//! 4. The account in the common database (its session, sign-in ids and account row; a
//!    delivery to the user is dropped from now on), then the cache (snapshot, level buckets;
//!    best effort). *Erasing → AccountGone*.
//! 5. At least [`SETTLE_MS`] later (a courier's copy placed before the account went has
//!    landed by then): pair deliveries that reached the user meanwhile are answered like
//!    the farewells, and once the user's outboxes are carried, every row of the user on its
//!    game shard is deleted again (what a writer outside its actor, an operator's grant,
//!    added meanwhile), with dead letters to the user, its clan actions' results and its
//!    action log, but for the summon rows, kept for the law's retention as no one's; the
//!    cache is forgotten again. *AccountGone → Done*; the row stays as the record of the
//!    erasure.

use std::sync::Arc;
use std::time::Duration;

use summoner_actors::{AskError, BackendError, CallError, Directory, Erase, UserId};
use summoner_proto::api::{Credential, ErrorCode};

use crate::game::clans::Action;
use crate::game::context::Refusal;
use crate::game::erasure;
use crate::game::friends::bucket;
use crate::game::handlers::summon::SUMMON_LOG;
use crate::game::reads::Fetched;
use crate::ids::IdGenerator;
use crate::service::accounts::{AccountError, auth_id};
use crate::service::backend::GameBackend;
use crate::service::catalog::Catalog;
use crate::service::clan_flow::{Acting, clan_action};
use crate::service::failure::storage_error;
use crate::service::oidc::Providers;
use crate::storage::{Deletion, DeletionPhase, Store, UserShards};

/// How long after an account went its last step waits: as long as a courier's copy may
/// still land after its round was cut short (`storage::delivery::PURGE_GRACE_MS`), so what
/// was placed for the user before the account went has landed by then.
pub const SETTLE_MS: i64 = 15 * 60_000;

/// Deletions read at once; a run goes through every page of those due.
const PAGE: usize = 100;

/// A deletion a run failed on waits this long before the next try, doubled for each failure
/// in a row up to [`RETRY_AT_MOST_MS`], so deletions that cannot go on (a shard down, a
/// defect) are tried now and then without holding up the others.
const RETRY_AFTER_MS: i64 = 60_000;
const RETRY_AT_MOST_MS: i64 = 6 * 3_600_000;

/// When a deletion that has failed `failures` times in a row (the latest at `now_ms`) is
/// tried again.
fn retry_at(now_ms: i64, failures: u32) -> i64 {
    let doublings = failures.saturating_sub(1).min(20);
    now_ms.saturating_add(RETRY_AFTER_MS.saturating_mul(1 << doublings).min(RETRY_AT_MOST_MS))
}

/// Who asks for their account's deletion, and when.
pub struct Asked {
    pub user: UserId,
    pub shards: UserShards,
    pub now_ms: i64,
    pub grace_ms: i64,
    /// The seq of the DeleteAccount request: the session ends as ended by it.
    pub seq: u64,
}

/// DeleteAccount's read: the credential must sign in `asked.user` (a platform's token is
/// verified afresh), then the deletion is recorded, or the one recorded already answered.
/// Answers when the erasure starts, or why the request is refused.
pub async fn request(
    store: &Arc<dyn Store>,
    providers: &Providers,
    credential: Option<&Credential>,
    asked: Asked,
) -> Result<Result<i64, Refusal>, BackendError> {
    let what = "check DeleteAccount's credential";
    let auth = match auth_id(providers, credential).await {
        Ok(auth) => auth,
        Err(AccountError::InvalidCredential(m)) => return Ok(Err(Refusal::new(ErrorCode::InvalidArgument, m))),
        Err(AccountError::SignInRefused(m)) => return Ok(Err(Refusal::new(ErrorCode::SignInRefused, m))),
        Err(AccountError::ProviderUnavailable(m)) => return Err(BackendError::unavailable(what, m)),
        Err(e) => return Err(BackendError::new(what, e)),
    };
    if store.find_account(auth).await.map_err(storage_error)? != Some(asked.user) {
        let refusal = Refusal::new(ErrorCode::CredentialMismatch, "this credential does not sign in this account");
        return Ok(Err(refusal));
    }
    let deletion = Deletion {
        user: asked.user,
        shards: asked.shards,
        requested_at_ms: asked.now_ms,
        due_at_ms: asked.now_ms.saturating_add(asked.grace_ms),
        phase: DeletionPhase::Waiting,
        phase_at_ms: asked.now_ms,
        failures: 0,
    };
    let recorded = store.request_deletion(deletion, asked.seq).await.map_err(storage_error)?;
    tracing::info!(user.id = asked.user, due_at_ms = recorded.due_at_ms, "account deletion asked for");
    Ok(Ok(recorded.due_at_ms))
}

/// Erases the accounts whose grace period ended (see the module's steps).
pub struct Eraser {
    directory: Arc<Directory<GameBackend>>,
    /// Longest the user's actor may take to erase (a request's time limit).
    timeout: Duration,
}

/// How far one run took one deletion.
enum Carried {
    /// Erased completely.
    Done,
    /// Not yet: it waits for its settling time or its outboxes, a peer owns the user, or a
    /// Login cancelled it.
    Later,
}

impl Eraser {
    /// An eraser over `directory`'s user actors and its backend's store and cache.
    pub fn new(directory: Arc<Directory<GameBackend>>, timeout: Duration) -> Self {
        Self { directory, timeout }
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.directory.backend().store()
    }

    /// Takes every deletion due by `now_ms` as far as it goes now, page by page; answers how
    /// many were erased completely. A deletion that fails is put off (longer after each
    /// failure in a row) and the others go on; the run fails if any did.
    pub async fn run(&self, now_ms: i64) -> Result<u64, String> {
        let (mut erased, mut failed) = (0, Vec::new());
        let mut after = None;
        loop {
            let due = self.store().deletions_due(now_ms, SETTLE_MS, after, PAGE).await.map_err(|e| e.to_string())?;
            let Some(last) = due.last() else { break };
            after = Some((last.due_at_ms, last.user));
            let full = due.len() == PAGE;
            for deletion in due {
                match self.carry(deletion, now_ms).await {
                    Ok(Carried::Done) => erased += 1,
                    Ok(Carried::Later) => {}
                    Err(e) => {
                        let failures = deletion.failures.saturating_add(1);
                        let retry_at_ms = retry_at(now_ms, failures);
                        tracing::error!(
                            user.id = deletion.user,
                            failures,
                            retry_at_ms,
                            error = %e,
                            "account erasure not carried on; put off"
                        );
                        if let Err(put_off) = self.store().put_off_deletion(deletion.user, failures, retry_at_ms).await
                        {
                            tracing::warn!(user.id = deletion.user, error = %put_off, "a failed erasure not put off; the next run tries it again");
                        }
                        failed.push(format!("user {}: {e}", deletion.user));
                    }
                }
            }
            if !full {
                break;
            }
        }
        match failed.first() {
            None => Ok(erased),
            Some(first) => Err(format!("{} erasures failed ({erased} done), the first: {first}", failed.len())),
        }
    }

    async fn carry(&self, deletion: Deletion, now_ms: i64) -> Result<Carried, String> {
        let user = deletion.user;
        let store = self.store();
        let mut at = deletion;
        if at.phase == DeletionPhase::Waiting {
            if !store.claim_deletion(user, now_ms).await.map_err(|e| e.to_string())? {
                // Cancelled meanwhile, or a session of the user is live: a later run looks again.
                return Ok(Carried::Later);
            }
            tracing::info!(user.id = user, "account erasure started");
            at.phase = DeletionPhase::Erasing;
        }
        if at.phase == DeletionPhase::Erasing {
            if !self.erase_game_rows(user).await? {
                return Ok(Carried::Later);
            }
            // After the game rows: the user can act no more, so no clan is joined after this.
            store.withdraw_clan_requests(user).await.map_err(|e| e.to_string())?;
            self.leave_clan(user, now_ms).await?;
            store.forget_account(user).await.map_err(|e| e.to_string())?;
            self.forget_cached(user).await;
            let gone = store.advance_deletion(user, DeletionPhase::Erasing, DeletionPhase::AccountGone, now_ms);
            gone.await.map_err(|e| e.to_string())?;
            (at.phase, at.phase_at_ms) = (DeletionPhase::AccountGone, now_ms);
        }
        if at.phase == DeletionPhase::AccountGone {
            if now_ms < at.phase_at_ms.saturating_add(SETTLE_MS) {
                return Ok(Carried::Later);
            }
            // Pair deliveries that reached the user since its erasure are answered, so their
            // senders see the pair end too.
            let waiting = store.leftover_inbox(at).await.map_err(|e| e.to_string())?;
            let ids = self.directory.backend().ids();
            let answers = erasure::answers(user, at.shards.game, &waiting, now_ms, &mut || ids.next_id());
            if !store.erase_leftovers(at, SUMMON_LOG, answers).await.map_err(|e| e.to_string())? {
                return Ok(Carried::Later);
            }
            // Once more: a snapshot read back into the cache since the account went.
            self.forget_cached(user).await;
            let done = store.advance_deletion(user, DeletionPhase::AccountGone, DeletionPhase::Done, now_ms);
            done.await.map_err(|e| e.to_string())?;
            tracing::info!(user.id = user, "account erased");
            return Ok(Carried::Done);
        }
        Ok(Carried::Later)
    }

    /// Forgets what the cache holds of the user (best effort: every entry expires within the
    /// hour, and a cache down must not hold the erasure up).
    async fn forget_cached(&self, user: UserId) {
        let backend = self.directory.backend();
        let buckets = (0..=bucket(backend.catalog().current().max_level())).collect();
        if let Err(e) = backend.cache().forget_user(user, buckets).await {
            tracing::warn!(user.id = user, error = %e, "an erased user's cache entries are left to expire");
        }
    }

    /// Leaves the user's clan for good (nothing when they are in none).
    async fn leave_clan(&self, user: UserId, now_ms: i64) -> Result<(), String> {
        let backend = self.directory.backend();
        let ids: &'static IdGenerator = backend.ids();
        // Session 0 is no player's (sessions start at 1): the record is the erasure's own, so
        // a run repeated after a crash finds it instead of acting again.
        let me = Acting { user, gold: 0, session: 0, seq: 0 };
        let catalog: Arc<Catalog> = backend.catalog().clone();
        match clan_action(backend.store().clone(), catalog, ids, me, Action::Depart, now_ms).await {
            Ok(Fetched::Clan(Ok(outcome))) => {
                tracing::info!(
                    user.id = user,
                    clan = outcome.clan_id,
                    change = outcome.change,
                    "erased user left the clan"
                );
                Ok(())
            }
            Ok(Fetched::Clan(Err(refusal))) if refusal.code == ErrorCode::NotInClan => Ok(()),
            Ok(other) => Err(format!("leave the clan: {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Erases the user's game rows in their actor on this node: true once they are gone,
    /// false when a live peer owns the user (its own run erases them).
    async fn erase_game_rows(&self, user: UserId) -> Result<bool, String> {
        // None: the rows are gone already (a run cut short after the commit).
        if self.store().owner_of(user).await.map_err(|e| e.to_string())?.is_none() {
            return Ok(true);
        }
        match self.directory.ask(user, self.timeout, || Erase).await {
            Ok(()) => Ok(true),
            Err(AskError::Call(CallError::Moved(_))) => Ok(false),
            Err(e) => Err(format!("erase the game rows: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_erasure_is_put_off_longer_each_time_up_to_a_bound() {
        assert_eq!(retry_at(1_000, 1), 1_000 + RETRY_AFTER_MS);
        assert_eq!(retry_at(1_000, 2), 1_000 + 2 * RETRY_AFTER_MS);
        assert_eq!(retry_at(1_000, 4), 1_000 + 8 * RETRY_AFTER_MS);
        assert_eq!(retry_at(1_000, 30), 1_000 + RETRY_AT_MOST_MS);
        assert_eq!(retry_at(1_000, u32::MAX), 1_000 + RETRY_AT_MOST_MS);
    }
}
