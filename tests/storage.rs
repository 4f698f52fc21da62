//! Sharded storage on every backend: placement over shards, group commit that isolates a
//! failing write, and batched reads that cost one query per shard touched.

#[macro_use]
mod common;

use std::time::Duration;

use summoner::game::data::GameData;
use summoner::game::profile::Profile;
use summoner::service::open::store_config;
use summoner::storage::db_store::DbStore;
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::tables::USERS;
use summoner::storage::{ActionLog, AuthId, Changes, Deletion, DeletionPhase, Store, UserPlace};
use summoner_actors::{Commit, StoredReply};

async fn open(config: &summoner::config::Config, max_writes: usize, delay: Duration) -> DbStore {
    let mut settings = store_config(config);
    settings.batch_max_writes = max_writes;
    settings.batch_delay = delay;
    DbStore::open(&settings, 1_000).await.expect("store opens")
}

/// A registered user as storage sees it.
#[derive(Debug, Clone, PartialEq)]
struct Registered {
    id: u64,
    place: UserPlace,
    profile: Profile,
}

async fn load(store: &DbStore, id: u64) -> Registered {
    let rows = store.load_user(id, &[]).await.expect("user loads").state;
    let profile = Profile::from_row(&rows.profile).expect("profile reads");
    Registered { id, place: UserPlace { shards: rows.shards, epoch: rows.epoch }, profile }
}

async fn register(store: &DbStore, n: usize) -> Vec<Registered> {
    let data = GameData::embedded().expect("game data");
    let mut users = Vec::new();
    for i in 0..n {
        let auth = AuthId { provider: "device".into(), id: format!("dev-{i}") };
        let profile = Profile::new_user(&data, i as u64, 0..0, 1_000);
        let registered = store.register(auth, profile.row(), 1_000).await.unwrap();
        users.push(load(store, registered.user_id).await);
    }
    users
}

/// What a request that set the user's gold commits: the profile column, a log, a reply.
fn commit_of(user: &Registered, gold: u64) -> Commit<Changes> {
    let set = vec![(USERS.column("gold").expect("gold column"), Value::uint(gold))];
    let rows = vec![RowWrite::Patch { table: &USERS, key: vec![Value::uint(user.id)], set }];
    let log = ActionLog { user_id: user.id, action: "test", params: String::new(), result: gold.to_string(), at_ms: 5 };
    let reply = StoredReply { session_id: 0, seq: 1, bytes: vec![1, 2, 3] };
    Commit { writes: Changes { rows, logs: vec![log] }, reply }
}

on_every_backend! {
    /// New accounts spread over the in-use shards, fewest users first.
    async fn accounts_spread_over_shards(config) {
        let store = open(&config, 16, Duration::ZERO).await;
        let users = register(&store, 6).await;
        let game: Vec<i16> = users.iter().map(|u| u.place.shards.game).collect();
        let log: Vec<i16> = users.iter().map(|u| u.place.shards.log).collect();
        assert_eq!(game.iter().filter(|&&s| s == 1).count(), 3, "{game:?}");
        assert_eq!(game.iter().filter(|&&s| s == 2).count(), 3, "{game:?}");
        assert_eq!(log.iter().filter(|&&s| s == 1).count(), 3, "{log:?}");
        let mut ids: Vec<u64> = users.iter().map(|u| u.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 6);
    }
}

on_every_backend! {
    /// One batch of three writes, one of them for a user that does not exist: the other
    /// two commit, only that one fails, and its action log rolls back with it.
    async fn a_failing_write_fails_alone_in_its_batch(config) {
        // Three writes on one shard flush together: the batch closes at three long before
        // the delay runs out.
        let store = open(&config, 3, Duration::from_secs(2)).await;
        let users = register(&store, 3).await;
        let (one, two) = (&users[0], &users[2]);
        assert_eq!((one.place.shards.game, two.place.shards.game), (1, 1), "fewest-users placement alternates");
        let ghost = Registered { id: 42, ..one.clone() };
        let (ra, rb, rc) = tokio::join!(
            store.commit(one.id, one.place, commit_of(one, 111)),
            store.commit(two.id, two.place, commit_of(two, 222)),
            store.commit(42, ghost.place, commit_of(&ghost, 333)),
        );
        assert!(ra.is_ok() && rb.is_ok(), "{ra:?} {rb:?}");
        assert!(rc.is_err(), "the write for a missing user must fail");
        assert_eq!(load(&store, one.id).await.profile.gold, 111);
        assert_eq!(load(&store, two.id).await.profile.gold, 222);
        let reply = store.load_user(two.id, &[]).await.unwrap().last_reply;
        assert_eq!(reply.map(|r| r.bytes), Some(vec![1, 2, 3]));
        store.flush().await.unwrap();
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
        let ids: Vec<u64> = users.iter().map(|u| u.id).chain([999]).collect();
        let profiles = store.load_profiles(ids).await.unwrap();
        let after = counts();
        assert_eq!((after.0 - before.0, after.1 - before.1, after.2 - before.2), (1, 1, 1));
        let mut profiles: Vec<Profile> = profiles.iter().map(|p| Profile::from_row(&p.row).unwrap()).collect();
        profiles.sort_by_key(|p| p.user_id);
        let mut expected: Vec<Profile> = users.iter().map(|u| u.profile.clone()).collect();
        expected.sort_by_key(|p| p.user_id);
        assert_eq!(profiles, expected);
    }
}

on_every_backend! {
    /// A batch of good writes costs a handful of statements whatever its size (one
    /// multi-row statement per table and kind of change), and no pool health check.
    async fn a_batch_is_a_few_statements(config) {
        let statements = |n: usize| {
            let config = config.clone();
            async move {
                let store = open(&config, n, Duration::from_secs(2)).await;
                let users: Vec<Registered> =
                    register(&store, 2 * n).await.into_iter().filter(|u| u.place.shards.game == 1).collect();
                assert_eq!(users.len(), n);
                let shard = &store.databases().game[&1];
                // The log shipper works on the same shard: let it finish what came before,
                // and count its shipment of this batch's logs too.
                store.flush().await.unwrap();
                let before = shard.queries.get();
                let commits = users.iter().enumerate().map(|(i, u)| store.commit(u.id, u.place, commit_of(u, 1_000 + i as u64)));
                for result in futures_util::future::join_all(commits).await {
                    result.expect("committed");
                }
                store.flush().await.unwrap();
                let statements = shard.queries.get() - before;
                for (i, u) in users.iter().enumerate() {
                    assert_eq!(load(&store, u.id).await.profile.gold, 1_000 + i as u64);
                }
                statements
            }
        };
        let (one, many) = (statements(1).await, statements(16).await);
        // Begin, fence, the profile patch, the replies, the log outbox, commit (SQLite takes its
        // write lock with one statement more), and the shipper's delete from the outbox.
        assert!(many <= 11, "{many} statements for a batch of 16");
        assert!(many <= one + 2, "a batch of 16 costs {many} statements, a batch of 1 {one}");
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
        assert!(old_users.iter().all(|u| u.place.shards.game == 1));
        let store = open(&config, 16, Duration::ZERO).await;
        for user in &old_users {
            let loaded = load(&store, user.id).await;
            assert_eq!(loaded.place.shards.game, 1);
            assert_eq!(&loaded, user);
        }
        let data = GameData::embedded().expect("game data");
        let mut placed = Vec::new();
        for i in 0..3 {
            let auth = AuthId { provider: "device".into(), id: format!("new-{i}") };
            let id = store.register(auth, Profile::new_user(&data, 9, 0..0, 1_000).row(), 1_000).await.unwrap().user_id;
            placed.push(load(&store, id).await.place.shards.game);
        }
        assert_eq!(placed, [2, 2, 2], "the new shard has the fewest users");
    }
}

on_every_backend! {
    /// A batch whose one job changes a row that is not there: the batch runs again job by
    /// job, the other two commit, and that one is refused as a conflict, writing nothing.
    async fn a_job_that_meets_a_missing_row_fails_alone_as_a_conflict(config) {
        let store = open(&config, 3, Duration::from_secs(2)).await;
        let users: Vec<Registered> = register(&store, 6).await.into_iter().filter(|u| u.place.shards.game == 1).collect();
        let (one, two, three) = (&users[0], &users[1], &users[2]);
        let mut broken = commit_of(three, 333);
        let ghost = summoner::game::entities::Monster {
            id: 5,
            template: "mon.slime.water.1".into(),
            level: 2,
            exp: 0,
            grade: 0,
            locked: false,
            acquired_at_ms: 0,
        };
        use summoner::game::entities::Entity;
        broken.writes.rows.push(RowWrite::Update(summoner::game::entities::Monster::TABLE, ghost.row(three.id)));
        let (ra, rb, rc) = tokio::join!(
            store.commit(one.id, one.place, commit_of(one, 111)),
            store.commit(two.id, two.place, commit_of(two, 222)),
            store.commit(three.id, three.place, broken),
        );
        assert!(ra.is_ok() && rb.is_ok(), "{ra:?} {rb:?}");
        assert!(matches!(rc, Err(summoner::storage::StoreError::Conflict(_))), "{rc:?}");
        assert_eq!(load(&store, one.id).await.profile.gold, 111);
        assert_eq!(load(&store, two.id).await.profile.gold, 222);
        assert_eq!(load(&store, three.id).await.profile.gold, three.profile.gold, "the refused job wrote nothing");
        assert!(store.load_user(three.id, &[]).await.unwrap().last_reply.is_none(), "nor its reply");
    }
}

/// A `CREATE INDEX CONCURRENTLY` that failed left an invalid index under its name (here: a
/// unique build of the same name over duplicates): the next migration drops it and builds the
/// index its migration says, instead of failing on the name taken.
#[actix_web::test]
async fn an_invalid_index_a_failed_concurrent_build_left_is_built_again() {
    use summoner::storage::db::{Db, DbKind};

    let Some(backend) = common::backends::backends().into_iter().find(|b| b.name() == "postgres") else {
        return;
    };
    let databases = common::backends::TestDatabases::create(backend);
    let url = databases.config.storage.log()[0].clone();
    Db::migrate_to(&url, DbKind::Log, "2026-11-28-000014").await.expect("migrates up to the index before");
    for _ in 0..2 {
        common::exec_sql(
            &url,
            "INSERT INTO action_log (user_id, action, params, result, at_ms) VALUES (7, 'x', '', '', 1)",
        )
        .await;
    }
    let failed =
        common::try_exec_sql(&url, "CREATE UNIQUE INDEX CONCURRENTLY action_log_user_log ON action_log (user_id)")
            .await;
    assert!(failed.is_err(), "the unique build fails on the duplicates");
    let invalid = "pg_index i JOIN pg_class c ON c.oid = i.indexrelid";
    assert_eq!(common::count_rows(&url, invalid, "c.relname = 'action_log_user_log' AND NOT i.indisvalid").await, 1);

    Db::migrate(&url, DbKind::Log).await.expect("the migration builds the index again");
    assert_eq!(
        common::count_rows(&url, invalid, "c.relname = 'action_log_user_log' AND i.indisvalid AND i.indnatts = 3")
            .await,
        1
    );
    assert_eq!(common::count_rows(&url, invalid, "NOT i.indisvalid").await, 0);
}

on_every_backend! {
    /// Nodes of a cluster start at once and each migrates every database: they take turns,
    /// and every one of them starts (none fails on what another is creating).
    async fn nodes_migrating_at_once_all_succeed(config) {
        use summoner::storage::db::{Db, DbKind};

        let databases = [
            (config.storage.common(), DbKind::Common),
            (config.storage.clan(), DbKind::Clan),
            (config.storage.game()[0].clone(), DbKind::Game),
            (config.storage.log()[0].clone(), DbKind::Log),
        ];
        for (url, kind) in databases {
            let runs = (0..4).map(|_| Db::migrate(&url, kind));
            for (node, migrated) in futures_util::future::join_all(runs).await.into_iter().enumerate() {
                assert!(migrated.is_ok(), "node {node} failed to migrate the {} database: {migrated:?}", kind.as_str());
            }
        }
    }
}

on_every_backend! {
    /// Deletions due are read page by page in a stable order (due time, then user); one a
    /// run failed on is put off until its retry time, and moving it on forgets its
    /// failures; `erasing_among` names the users whose erasure started.
    async fn deletions_due_page_through_and_skip_those_put_off(config) {
        let store = open(&config, 64, Duration::from_millis(1)).await;
        let users = register(&store, 4).await;
        for (i, user) in users.iter().enumerate() {
            let deletion = Deletion {
                user: user.id,
                shards: user.place.shards,
                requested_at_ms: 0,
                // Two share a due time, so the user breaks the tie.
                due_at_ms: [100, 200, 200, 300][i],
                phase: DeletionPhase::Waiting,
                phase_at_ms: 0,
                failures: 0,
            };
            store.request_deletion(deletion, 1).await.expect("recorded");
        }
        let ids = |page: &[Deletion]| page.iter().map(|d| d.user).collect::<Vec<_>>();
        let first = store.deletions_due(1_000, 0, None, 2).await.unwrap();
        let mut middle = [users[1].id, users[2].id];
        middle.sort_unstable();
        assert_eq!(ids(&first), vec![users[0].id, middle[0]]);
        let after = first.last().map(|d| (d.due_at_ms, d.user));
        let second = store.deletions_due(1_000, 0, after, 2).await.unwrap();
        assert_eq!(ids(&second), vec![middle[1], users[3].id], "the next page goes on after the last");
        assert_eq!(store.deletions_due(250, 0, None, 10).await.unwrap().len(), 3, "only those due");

        store.put_off_deletion(users[0].id, 2, 5_000).await.unwrap();
        let due = store.deletions_due(1_000, 0, None, 10).await.unwrap();
        assert!(!ids(&due).contains(&users[0].id), "put off until its retry time");
        let due = store.deletions_due(5_000, 0, None, 10).await.unwrap();
        assert_eq!(due[0].user, users[0].id);
        assert_eq!(due[0].failures, 2, "its failures are kept");

        assert!(store.claim_deletion(users[0].id, 5_000).await.unwrap());
        let moved = store.advance_deletion(users[0].id, DeletionPhase::Erasing, DeletionPhase::AccountGone, 5_000);
        assert!(moved.await.unwrap());
        assert_eq!(store.deletion_of(users[0].id).await.unwrap().map(|d| d.failures), Some(0), "moving on forgets them");
        let all: Vec<u64> = users.iter().map(|u| u.id).collect();
        assert_eq!(store.erasing_among(all).await.unwrap(), vec![users[0].id]);
    }
}
