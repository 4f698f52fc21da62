//! Sharded storage on every backend: placement over shards, group commit that isolates a
//! failing write, and batched reads that cost one query per shard touched.

#[macro_use]
mod common;

use std::time::Duration;

use summoner::game::data::GameData;
use summoner::game::effects::ActionLog;
use summoner::game::state::{UserShards, UserState};
use summoner::server::store_config;
use summoner::storage::db_store::DbStore;
use summoner::storage::{AuthId, Store, Write};
use summoner_actors::{Commit, StoredReply};

async fn open(config: &summoner::config::Config, max_writes: usize, delay: Duration) -> DbStore {
    let mut settings = store_config(config);
    settings.batch_max_writes = max_writes;
    settings.batch_delay = delay;
    DbStore::open(&settings, 1_000).await.expect("store opens")
}

async fn register(store: &DbStore, n: usize) -> Vec<UserState> {
    let data = GameData::embedded().expect("game data");
    let mut users = Vec::new();
    for i in 0..n {
        let auth = AuthId { provider: "device".into(), id: format!("dev-{i}") };
        let registered = store.register(auth, UserState::new_user(&data, i as u64, 1_000), 1_000).await.unwrap();
        users.push(store.load_user(registered.user_id).await.unwrap().state);
    }
    users
}

fn commit_of(user: &UserState, gold: u64) -> (UserShards, Commit<Vec<Write>>) {
    let state = UserState { gold, ..user.clone() };
    let log =
        ActionLog { user_id: user.user_id, action: "test", params: String::new(), result: gold.to_string(), at_ms: 5 };
    let reply = StoredReply { session_id: 0, seq: 1, bytes: vec![1, 2, 3] };
    (user.shards, Commit { writes: vec![Write::Profile(state), Write::ActionLog(log)], reply })
}

on_every_backend! {
    /// New accounts spread over the in-use shards, fewest users first.
    async fn accounts_spread_over_shards(config) {
        let store = open(&config, 16, Duration::ZERO).await;
        let users = register(&store, 6).await;
        let game: Vec<i16> = users.iter().map(|u| u.shards.game).collect();
        let log: Vec<i16> = users.iter().map(|u| u.shards.log).collect();
        assert_eq!(game.iter().filter(|&&s| s == 1).count(), 3, "{game:?}");
        assert_eq!(game.iter().filter(|&&s| s == 2).count(), 3, "{game:?}");
        assert_eq!(log.iter().filter(|&&s| s == 1).count(), 3, "{log:?}");
        let mut ids: Vec<u64> = users.iter().map(|u| u.user_id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 6);
    }
}

on_every_backend! {
    /// One batch of three writes, one of them for a user that does not exist: the other
    /// two commit, only that one fails.
    async fn a_failing_write_fails_alone_in_its_batch(config) {
        // Three writes on one shard flush together: the batch closes at three long before
        // the delay (which only lets the action-log shards flush) runs out.
        let store = open(&config, 3, Duration::from_secs(2)).await;
        let users = register(&store, 3).await;
        let (one, two) = (&users[0], &users[2]);
        assert_eq!((one.shards.game, two.shards.game), (1, 1), "fewest-users placement alternates");
        let ghost = UserState { user_id: 42, ..one.clone() };
        let (a, b, c) = (commit_of(one, 111), commit_of(two, 222), commit_of(&ghost, 333));
        let (ra, rb, rc) = tokio::join!(
            store.commit(one.user_id, a.0, a.1),
            store.commit(two.user_id, b.0, b.1),
            store.commit(42, c.0, c.1),
        );
        assert!(ra.is_ok() && rb.is_ok(), "{ra:?} {rb:?}");
        assert!(rc.is_err(), "the write for a missing user must fail");
        assert_eq!(store.load_user(one.user_id).await.unwrap().state.gold, 111);
        assert_eq!(store.load_user(two.user_id).await.unwrap().state.gold, 222);
        let reply = store.load_user(two.user_id).await.unwrap().last_reply;
        assert_eq!(reply.map(|r| r.bytes), Some(vec![1, 2, 3]));
        assert_eq!(common::action_log_count(&config, "test").await, 2, "the failed job's log rolled back with it");
    }
}

on_every_backend! {
    /// Loading a friend list spread over two shards costs one query on the common database
    /// and one per game shard, however many friends.
    async fn batched_reads_cost_one_query_per_shard(config) {
        let store = open(&config, 16, Duration::ZERO).await;
        let users = register(&store, 10).await;
        let dbs = store.databases();
        let counts = || (dbs.common.queries.get(), dbs.game[&1].queries.get(), dbs.game[&2].queries.get());
        let before = counts();
        let ids: Vec<u64> = users.iter().map(|u| u.user_id).chain([999]).collect();
        let mut profiles = store.load_profiles(ids).await.unwrap();
        let after = counts();
        assert_eq!((after.0 - before.0, after.1 - before.1, after.2 - before.2), (1, 1, 1));
        profiles.sort_by_key(|p| p.user_id);
        let mut expected = users.clone();
        expected.sort_by_key(|p| p.user_id);
        assert_eq!(profiles, expected);
    }
}

on_every_backend! {
    /// A batch of good writes on PostgreSQL or MySQL costs a handful of statements whatever
    /// its size (multi-row statements), where one transaction per write would cost several
    /// per write.
    async fn a_batch_is_a_few_statements(config) {
        let sqlite = config.storage.common().starts_with("sqlite:");
        let store = open(&config, 4, Duration::from_secs(2)).await;
        let users: Vec<UserState> = register(&store, 8).await.into_iter().filter(|u| u.shards.game == 1).collect();
        assert_eq!(users.len(), 4);
        let shard = &store.databases().game[&1];
        let before = shard.queries.get();
        let commits = users.iter().enumerate().map(|(i, u)| {
            let (shards, commit) = commit_of(u, 1_000 + i as u64);
            store.commit(u.user_id, shards, commit)
        });
        for result in futures_util::future::join_all(commits).await {
            result.expect("committed");
        }
        let statements = shard.queries.get() - before;
        if !sqlite {
            assert!(statements <= 6, "{statements} statements for a batch of 4");
        }
        for (i, u) in users.iter().enumerate() {
            assert_eq!(store.load_user(u.user_id).await.unwrap().state.gold, 1_000 + i as u64);
        }
    }
}

on_every_backend! {
    /// Adding a game shard later (one more URL in the configuration) moves nobody: existing
    /// users stay where they are, and new accounts fill the new shard first.
    async fn adding_a_shard_moves_no_user(config) {
        let mut first = config.clone();
        first.storage.game_shards.truncate(1);
        let old_users = {
            let store = open(&first, 16, Duration::ZERO).await;
            register(&store, 3).await
        };
        assert!(old_users.iter().all(|u| u.shards.game == 1));
        let store = open(&config, 16, Duration::ZERO).await;
        for user in &old_users {
            let loaded = store.load_user(user.user_id).await.unwrap().state;
            assert_eq!(loaded.shards.game, 1);
            assert_eq!(&loaded, user);
        }
        let data = GameData::embedded().expect("game data");
        let mut placed = Vec::new();
        for i in 0..3 {
            let auth = AuthId { provider: "device".into(), id: format!("new-{i}") };
            let id = store.register(auth, UserState::new_user(&data, 9, 1_000), 1_000).await.unwrap().user_id;
            placed.push(store.load_user(id).await.unwrap().state.shards.game);
        }
        assert_eq!(placed, [2, 2, 2], "the new shard has the fewest users");
    }
}
