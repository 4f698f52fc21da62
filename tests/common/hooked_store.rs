//! A [`MemoryStore`] with a hook on its commits: what tests use to hold a commit at a gate
//! (`gated_store.rs`) or to lose a write the server acknowledged (`lossy_store.rs`).

use futures_util::future::BoxFuture;
use summoner::storage::memory::MemoryStore;
use summoner::storage::rows::{Row, RowWrite, TableDef};
use summoner::storage::{
    ActionLog, AuthId, Changes, ProfileRow, Registered, SignUp, SignedUp, Store, StoreResult, UserPlace, UserRows,
    UserShards,
};
use summoner_actors::{Commit, Loaded, Session, TokenHash, UserId};

/// What happens to a commit.
pub trait CommitHook: Send + Sync + 'static {
    fn commit(
        &self,
        inner: &MemoryStore,
        user: UserId,
        place: UserPlace,
        commit: Commit<Changes>,
    ) -> BoxFuture<'static, StoreResult<()>>;
}

/// A memory store whose commits go through `hook`; everything else reaches it unchanged.
pub struct HookedStore<H> {
    pub inner: MemoryStore,
    pub hook: H,
}

impl<H: CommitHook> Store for HookedStore<H> {
    fn register(&self, auth: AuthId, profile: Row, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        self.inner.register(auth, profile, now_ms)
    }
    fn sign_up(&self, sign_up: SignUp) -> BoxFuture<'static, StoreResult<Option<SignedUp>>> {
        self.inner.sign_up(sign_up)
    }
    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        self.inner.find_account(auth)
    }
    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        self.inner.user_for_token(token)
    }
    fn load_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Loaded<UserRows>>> {
        self.inner.load_user(user, tables)
    }
    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.append_logs(shards, logs)
    }
    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.inner.load_profiles(users)
    }
    fn load_profiles_on(&self, users: Vec<(UserId, i16)>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.inner.load_profiles_on(users)
    }
    fn peek_user(
        &self,
        user: UserId,
        tables: &'static [&'static summoner::storage::rows::TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<summoner::storage::UserRows>>> {
        self.inner.peek_user(user, tables)
    }
    fn read_tables_on(
        &self,
        user: UserId,
        game: i16,
        tables: &'static [&'static summoner::storage::rows::TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<Vec<Vec<summoner::storage::rows::Row>>>>> {
        self.inner.read_tables_on(user, game, tables)
    }
    fn clan(&self, clan_id: u64) -> BoxFuture<'static, StoreResult<Option<summoner::storage::ClanRows>>> {
        self.inner.clan(clan_id)
    }
    fn clan_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<u64>>> {
        self.inner.clan_of(user)
    }
    fn search_clans(
        &self,
        prefix: String,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::rows::Row>>> {
        self.inner.search_clans(prefix, limit)
    }
    fn clan_op(&self, user: UserId, session: u64, seq: u64) -> BoxFuture<'static, StoreResult<Option<Vec<u8>>>> {
        self.inner.clan_op(user, session, seq)
    }
    fn clan_commit(
        &self,
        commit: summoner::storage::ClanCommit,
    ) -> BoxFuture<'static, Result<(), summoner::storage::ClanCommitError>> {
        self.inner.clan_commit(commit)
    }
    fn on_delivered(&self, listener: summoner::storage::delivery::Listener) {
        self.inner.on_delivered(listener)
    }
    fn sweep(&self, sweep: summoner::storage::Sweep) -> BoxFuture<'static, StoreResult<u64>> {
        self.inner.sweep(sweep)
    }
    fn node_id(&self) -> u16 {
        self.inner.node_id()
    }
    fn activate_user(
        &self,
        user: UserId,
        tables: &'static [&'static summoner::storage::rows::TableDef],
        claim: summoner::storage::nodes::OwnerClaim,
    ) -> BoxFuture<'static, StoreResult<summoner::storage::nodes::Activated>> {
        self.inner.activate_user(user, tables, claim)
    }
    fn owner_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<(i64, i64)>>> {
        self.inner.owner_of(user)
    }
    fn claim_node(
        &self,
        incarnation: u64,
        lease_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<Result<u16, summoner::storage::nodes::ClaimRefused>>> {
        self.inner.claim_node(incarnation, lease_ms, now_ms)
    }
    fn nodes(&self) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::nodes::NodeRow>>> {
        self.inner.nodes()
    }
    fn beat(&self, beat: summoner::storage::nodes::NodeBeat) -> BoxFuture<'static, StoreResult<bool>> {
        self.inner.beat(beat)
    }
    fn leave(&self, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.leave(incarnation)
    }
    fn claim_work(&self, claim: summoner::storage::nodes::WorkClaim) -> BoxFuture<'static, StoreResult<bool>> {
        self.inner.claim_work(claim)
    }
    fn renew_work(&self, incarnation: u64, until_ms: i64) -> BoxFuture<'static, StoreResult<Vec<String>>> {
        self.inner.renew_work(incarnation, until_ms)
    }
    fn release_work(&self, name: String, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.release_work(name, incarnation)
    }
    fn work_leases(&self) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::nodes::WorkLease>>> {
        self.inner.work_leases()
    }
    fn work(&self) -> BoxFuture<'static, Vec<String>> {
        self.inner.work()
    }
    fn set_gate(&self, gate: std::sync::Arc<dyn summoner::storage::nodes::WorkGate>) {
        self.inner.set_gate(gate)
    }
    fn nudge(&self, name: String) {
        self.inner.nudge(name)
    }
    fn user_logs(
        &self,
        query: summoner::storage::UserLogQuery,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::LoggedAction>>> {
        self.inner.user_logs(query)
    }
    fn search_nicknames(
        &self,
        prefix: String,
        after: UserId,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::FoundProfile>>> {
        self.inner.search_nicknames(prefix, after, limit)
    }
    fn outbox_of(&self, user: UserId, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        self.inner.outbox_of(user, limit)
    }
    fn record_operator_action(&self, row: summoner::storage::OperatorActionRow) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.record_operator_action(row)
    }
    fn finish_operator_action(
        &self,
        action_id: u64,
        outcome: String,
        finished_at_ms: i64,
    ) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.finish_operator_action(action_id, outcome, finished_at_ms)
    }
    fn operator_actions(
        &self,
        query: summoner::storage::OperatorActionQuery,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::OperatorActionRow>>> {
        self.inner.operator_actions(query)
    }

    fn log_shards(&self) -> Vec<i16> {
        self.inner.log_shards()
    }

    fn logs_between(
        &self,
        shard: i16,
        from_ms: i64,
        to_ms: i64,
        after: (i64, u64),
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::LoggedAction>>> {
        self.inner.logs_between(shard, from_ms, to_ms, after, limit)
    }

    fn put_bot_scores(
        &self,
        shard: i16,
        rows: Vec<summoner::storage::BotScoreRow>,
    ) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.put_bot_scores(shard, rows)
    }

    fn top_bot_scores(
        &self,
        day_ms: i64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::BotScoreRow>>> {
        self.inner.top_bot_scores(day_ms, limit)
    }
    fn scan_logs(
        &self,
        action: String,
        user: Option<UserId>,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::LoggedAction>>> {
        self.inner.scan_logs(action, user, after, limit)
    }
    fn commit(&self, user: UserId, place: UserPlace, commit: Commit<Changes>) -> BoxFuture<'static, StoreResult<()>> {
        self.hook.commit(&self.inner, user, place, commit)
    }
    fn write_outside(&self, user: UserId, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.write_outside(user, rows)
    }
    fn request_deletion(
        &self,
        deletion: summoner::storage::Deletion,
        seq: u64,
    ) -> BoxFuture<'static, StoreResult<summoner::storage::Deletion>> {
        self.inner.request_deletion(deletion, seq)
    }

    fn cancel_deletion(
        &self,
        user: UserId,
    ) -> BoxFuture<'static, StoreResult<Option<summoner::storage::DeletionPhase>>> {
        self.inner.cancel_deletion(user)
    }

    fn withdraw_clan_requests(&self, user: UserId) -> BoxFuture<'static, StoreResult<u64>> {
        self.inner.withdraw_clan_requests(user)
    }

    fn deletions_due(
        &self,
        now_ms: i64,
        settle_ms: i64,
        after: Option<(i64, UserId)>,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::Deletion>>> {
        self.inner.deletions_due(now_ms, settle_ms, after, limit)
    }

    fn put_off_deletion(&self, user: UserId, failures: u32, retry_at_ms: i64) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.put_off_deletion(user, failures, retry_at_ms)
    }

    fn erasing_among(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserId>>> {
        self.inner.erasing_among(users)
    }

    fn deletion_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<summoner::storage::Deletion>>> {
        self.inner.deletion_of(user)
    }

    fn advance_deletion(
        &self,
        user: UserId,
        from: summoner::storage::DeletionPhase,
        to: summoner::storage::DeletionPhase,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        self.inner.advance_deletion(user, from, to, now_ms)
    }

    fn claim_deletion(&self, user: UserId, now_ms: i64) -> BoxFuture<'static, StoreResult<bool>> {
        self.inner.claim_deletion(user, now_ms)
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.save_session(user, session)
    }
}
