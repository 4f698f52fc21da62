//! Entity state on every backend: a request writes only the rows and profile columns it
//! changed, whatever the user owns; a read writes nothing; a write made by someone else is
//! not undone by the user's next request; a commit from a stale owner epoch is refused and
//! writes nothing; and the friends migration moves the old comma-separated lists.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{TestServer, assert_status, count_rows, exec_sql, profile};
use summoner::config::Config;
use summoner::game::entities::{Entity, Mail, Monster, Quest};
use summoner::service::open::store_config;
use summoner::storage::db::{Db, DbKind};
use summoner::storage::db_store::DbStore;
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::tables::USERS;
use summoner::storage::{Store, StoreError};
use summoner_client::{Client, device};
use summoner_proto::api::{
    DebugFeedMonstersReq, ErrorCode, ExploreReq, GetUserReq, SetNicknameReq, request::Payload, response,
};

async fn open(config: &Config) -> Arc<DbStore> {
    Arc::new(DbStore::open(&store_config(config), 0).await.expect("store opens"))
}

/// The first monster id of a seeded user.
const FIRST_MONSTER: u64 = 7_000_000;

/// Registers `name`, gives it monsters, quests and mail (an operator's writes, before its
/// actor loads), and logs it in.
async fn seeded(
    server: &TestServer,
    store: &DbStore,
    name: &str,
    monsters: u64,
    quests: u64,
    mail: u64,
) -> (Client, u64) {
    let mut client = server.client();
    let registered = client.register(device(name)).await.expect("register answers");
    let Some(response::Payload::Register(r)) = registered.response.payload else { panic!("no register payload") };
    let user = r.user_id;
    let mut rows = Vec::new();
    for i in 0..monsters {
        let monster = Monster {
            id: FIRST_MONSTER + i,
            template: "mon.slime.water.1".into(),
            level: 1,
            exp: 0,
            grade: 0,
            locked: false,
            acquired_at_ms: 0,
        };
        rows.push(RowWrite::Insert(Monster::TABLE, monster.row(user)));
    }
    for i in 0..quests {
        let quest =
            Quest { id: format!("quest.{i}"), progress: i, completed_at_ms: 0, claimed_at_ms: 0, resets_at_ms: 0 };
        rows.push(RowWrite::Insert(Quest::TABLE, quest.row(user)));
    }
    for i in 0..mail {
        rows.push(RowWrite::Insert(Mail::TABLE, mail_of(9_000_000 + i).row(user)));
    }
    store.write_outside(user, rows).await.expect("seeded");
    let login = client.login(device(name)).await.expect("login answers");
    assert!(login.is_ok(), "login: {:?}", login.response);
    (client, user)
}

fn mail_of(id: u64) -> Mail {
    Mail {
        id,
        kind: "grant".into(),
        sender_id: 0,
        title: "A gift".into(),
        body: String::new(),
        attachments: vec![1, 2, 3],
        created_at_ms: 0,
        expires_at_ms: 0,
        read_at_ms: 0,
        claimed_at_ms: 0,
    }
}

/// What one request cost on its user's game shard: statements, and rows committed per
/// (table, kind of change).
#[derive(Debug, PartialEq, Eq)]
struct Cost {
    statements: u64,
    rows: BTreeMap<(&'static str, &'static str), u64>,
}

const TABLES: [&str; 8] = ["users", "last_replies", "log_outbox", "monsters", "friends", "quests", "mail", "stages"];
const KINDS: [&str; 5] = ["insert", "upsert", "update", "patch", "delete"];

async fn cost_of(store: &DbStore, user: u64, client: &mut Client, payload: Payload) -> (Cost, summoner_client::Answer) {
    let shard = store.load_user(user, &[]).await.expect("user loads").state.shards.game;
    let db = store.databases().game[&shard].clone();
    // The action logs of earlier requests are shipped first, so only this one's are counted.
    store.flush().await.expect("flushed");
    let rows = |db: &Db| {
        let mut out = BTreeMap::new();
        for table in TABLES {
            for kind in KINDS {
                out.insert((table, kind), db.stats.get(table, kind));
            }
        }
        out
    };
    let (statements, before) = (db.queries.get(), rows(&db));
    let answer = client.call(payload).await.expect("answered");
    store.flush().await.expect("flushed");
    let after = rows(&db);
    let changed = after.into_iter().filter(|(k, n)| before[k] != *n).map(|(k, n)| (k, n - before[&k])).collect();
    (Cost { statements: db.queries.get() - statements, rows: changed }, answer)
}

on_every_backend! {
    /// A user owning 500 monsters, 50 quests and 100 mail rows: a request that changes one
    /// monster writes that monster's row, the profile columns it touched, its reply and its
    /// log, in as many statements as for a user owning one monster; feeding five monsters
    /// into a sixth writes one monster update and five deletes; a read writes nothing.
    async fn a_request_writes_only_what_it_changed(config) {
        let store = open(&config).await;
        let server = TestServer::start_with_store(config.clone(), store.clone()).await;
        let (mut rich, rich_id) = seeded(&server, &store, "dev-rich", 500, 50, 100).await;
        let (mut poor, poor_id) = seeded(&server, &store, "dev-poor", 1, 0, 0).await;
        let touch = || Payload::DebugFeedMonsters(DebugFeedMonstersReq { target: FIRST_MONSTER, food: Vec::new() });

        // The first request of a day records the login (a counter, maybe quest progress).
        profile(&mut rich).await;
        profile(&mut poor).await;
        let (read, answer) = cost_of(&store, rich_id, &mut rich, Payload::GetUser(GetUserReq {})).await;
        assert_status(&answer, 200, ErrorCode::Ok);
        assert_eq!(read, Cost { statements: 0, rows: BTreeMap::new() }, "a read writes nothing");

        let (one, answer) = cost_of(&store, rich_id, &mut rich, touch()).await;
        assert_status(&answer, 200, ErrorCode::Ok);
        let expected: BTreeMap<_, _> = [
            (("last_replies", "upsert"), 1),
            (("log_outbox", "insert"), 2),
            (("monsters", "update"), 1),
            (("users", "patch"), 1),
        ]
        .into();
        assert_eq!(one.rows, expected, "one monster row, the profile, the reply, the logs (the feed, its gold)");
        let (few, answer) = cost_of(&store, poor_id, &mut poor, touch()).await;
        assert_status(&answer, 200, ErrorCode::Ok);
        assert_eq!(few, one, "the cost does not grow with what the user owns");

        let food: Vec<u64> = (1..=5).map(|i| FIRST_MONSTER + i).collect();
        let feed = Payload::DebugFeedMonsters(DebugFeedMonstersReq { target: FIRST_MONSTER, food });
        let (fed, answer) = cost_of(&store, rich_id, &mut rich, feed).await;
        assert_status(&answer, 200, ErrorCode::Ok);
        assert_eq!(fed.rows[&("monsters", "update")], 1);
        assert_eq!(fed.rows[&("monsters", "delete")], 5);
        assert_eq!(fed.rows[&("users", "patch")], 1);
        assert!(!fed.rows.contains_key(&("monsters", "insert")));
        assert_eq!(fed.statements, one.statements + 1, "the five deletes are one statement");

        let shard = store.load_user(rich_id, &[]).await.unwrap().state.shards.game;
        let url = &config.storage.game()[shard as usize - 1];
        assert_eq!(count_rows(url, "monsters", &format!("user_id = {rich_id}")).await, 495);
        assert_eq!(count_rows(url, "quests", &format!("user_id = {rich_id}")).await, 51, "and the day's login quest");
        assert_eq!(count_rows(url, "mail", &format!("user_id = {rich_id}")).await, 100);
        server.stop().await;
    }
}

on_every_backend! {
    /// An operator grants a user mail and gems through the store while the user plays: the
    /// user's next requests change other columns and rows and leave the grant in place.
    async fn a_write_by_someone_else_survives_the_users_next_requests(config) {
        let store = open(&config).await;
        let server = TestServer::start_with_store(config.clone(), store.clone()).await;
        let (mut client, user) = seeded(&server, &store, "dev-granted", 1, 0, 0).await;
        let before = profile(&mut client).await;

        let gems = USERS.column("gems").expect("gems column");
        let grant = vec![
            RowWrite::Insert(Mail::TABLE, mail_of(42).row(user)),
            RowWrite::Patch { table: &USERS, key: vec![Value::uint(user)], set: vec![(gems, Value::uint(before.gems + 500))] },
        ];
        store.write_outside(user, grant).await.expect("granted");

        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let renamed = client.call(Payload::SetNickname(SetNicknameReq { nickname: "Granted".into() })).await.unwrap();
        assert_status(&renamed, 200, ErrorCode::Ok);
        let touched = Payload::DebugFeedMonsters(DebugFeedMonstersReq { target: FIRST_MONSTER, food: Vec::new() });
        assert_status(&client.call(touched).await.unwrap(), 200, ErrorCode::Ok);
        let Some(response::Payload::Explore(e)) = explored.response.payload else { panic!("no explore payload") };

        let stored = store.load_user(user, summoner::game::entities::TABLES).await.unwrap().state;
        let state = summoner::game::state::UserState::from_rows(&stored).unwrap();
        assert_eq!(state.profile.gems, before.gems + 500, "the granted gems are still there");
        assert_eq!(state.profile.gold, before.gold + u64::from(e.gold_gained) - 10, "the user's own changes too");
        assert_eq!(state.profile.nickname, "Granted");
        assert_eq!(state.owned.mail.get(&42), Some(&mail_of(42)), "the granted mail is still there");

        // Once the actor reloads, the player sees the grant.
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        assert_eq!(profile(&mut client).await.gems, before.gems + 500);
        server.stop().await;
    }
}

on_every_backend! {
    /// Another activation takes the user over (its owner epoch is stored): a commit made
    /// from the older epoch is refused and writes nothing; the server then hands the request
    /// to a fresh activation (at a newer epoch still), which applies it once, and a retry gets
    /// the same answer.
    async fn a_commit_from_a_stale_epoch_is_refused_and_writes_nothing(config) {
        let store = open(&config).await;
        let server = TestServer::start_with_store(config.clone(), store.clone()).await;
        let (mut client, user) = seeded(&server, &store, "dev-fenced", 0, 0, 0).await;
        let before = profile(&mut client).await;
        store.flush().await.unwrap();
        let logs = common::action_log_count(&config, "explore").await;

        let shard = store.load_user(user, &[]).await.unwrap().state.shards.game;
        let url = &config.storage.game()[shard as usize - 1];
        let taken = exec_sql(url, &format!("UPDATE users SET owner_epoch = owner_epoch + 1 WHERE user_id = {user}")).await;
        assert_eq!(taken, 1);
        let (_, stolen) = store.owner_of(user).await.unwrap().expect("the user");

        let fenced = summoner::metrics::METRICS.writes_fenced.get();
        let answered = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&answered, 200, ErrorCode::Ok);
        assert!(summoner::metrics::METRICS.writes_fenced.get() > fenced, "the stale actor's commit was fenced");
        let (_, epoch) = store.owner_of(user).await.unwrap().expect("the user");
        assert!(epoch > stolen, "a fresh activation took the user over again");
        let Some(response::Payload::Explore(e)) = answered.response.payload.clone() else { panic!("no explore payload") };
        let retried = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(retried.bytes, answered.bytes, "a retry gets the same answer");
        assert_eq!(profile(&mut client).await.gold, before.gold + u64::from(e.gold_gained), "applied once");
        store.flush().await.unwrap();
        assert_eq!(common::action_log_count(&config, "explore").await, logs + 1, "logged once");
        server.stop().await;
    }
}

on_every_backend! {
    /// The friends migration turns the old comma-separated lists into rows, in their order.
    async fn the_friends_migration_moves_friend_lists(config) {
        let url = config.storage.game()[0].clone();
        Db::migrate_to(&url, DbKind::Game, "2026-11-25-000005").await.expect("the older schema");
        for (user, friends) in [(1, "3,2,9"), (2, ""), (3, "1")] {
            let sql = format!(
                "INSERT INTO users (user_id, nickname, level, exp, gold, gems, stamina, stamina_at_ms, rng_seed, \
                 rng_word_pos, created_at_ms, updated_at_ms, friends) VALUES ({user}, 'u', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{friends}')"
            );
            assert_eq!(exec_sql(&url, &sql).await, 1);
        }
        let missing = Db::connect(&url, 1, std::time::Duration::from_secs(5)).unwrap();
        let no_table = summoner::with_conn!(missing, "probe", |conn| {
            use summoner::storage::conn::SqlConn;
            let probe = summoner::storage::sql::Statement::new(summoner::storage::conn::dialect_of(conn), "SELECT 1 AS i0 FROM friends");
            conn.rows(probe).await.map_err(|e| StoreError::Database("probe".into(), e.to_string()))
        });
        assert!(no_table.is_err(), "the friends table does not exist before the migration");

        Db::migrate(&url, DbKind::Game).await.expect("migrated");
        assert_eq!(count_rows(&url, "friends", "user_id = 1").await, 3);
        for (friend, place) in [(3, 1), (2, 2), (9, 3)] {
            let row = format!("user_id = 1 AND friend_id = {friend} AND since_ms = {place}");
            assert_eq!(count_rows(&url, "friends", &row).await, 1, "{row}");
        }
        assert_eq!(count_rows(&url, "friends", "user_id = 2").await, 0);
        assert_eq!(count_rows(&url, "friends", "user_id = 3 AND friend_id = 1").await, 1);
        assert_eq!(count_rows(&url, "users", "owner_epoch = 0 AND id_next = 0").await, 3, "new columns have defaults");

        // Rolled back, the lists hold the friends made meanwhile too, in their order.
        let added = "INSERT INTO friends (user_id, friend_id, since_ms, owner_epoch) VALUES (2, 7, 10, 0)";
        assert_eq!(exec_sql(&url, added).await, 1);
        Db::revert_to(&url, DbKind::Game, "2026-11-25-000005").await.expect("reverted");
        assert_eq!(count_rows(&url, "users", "user_id = 1 AND friends = '3,2,9'").await, 1);
        assert_eq!(count_rows(&url, "users", "user_id = 2 AND friends = '7'").await, 1);
        Db::migrate(&url, DbKind::Game).await.expect("migrated again");
        assert_eq!(count_rows(&url, "friends", "").await, 5);
    }
}

on_every_backend! {
    /// Someone else removes a monster the user's live actor still holds: the actor's change
    /// of it finds no row and is refused as a conflict, writing nothing; the actor reloads,
    /// and the retry is answered from what storage holds.
    async fn a_change_that_meets_another_writers_change_reloads_the_user(config) {
        let store = open(&config).await;
        let server = TestServer::start_with_store(config.clone(), store.clone()).await;
        let (mut client, user) = seeded(&server, &store, "dev-conflict", 2, 0, 0).await;
        let before = profile(&mut client).await;
        let gone = RowWrite::Delete(Monster::TABLE, vec![Value::uint(user), Value::uint(FIRST_MONSTER)]);
        store.write_outside(user, vec![gone]).await.expect("removed");

        let touch = || Payload::DebugFeedMonsters(DebugFeedMonstersReq { target: FIRST_MONSTER, food: Vec::new() });
        let refused = client.call(touch()).await.unwrap();
        assert_status(&refused, 500, ErrorCode::Internal);
        let stored = store.load_user(user, summoner::game::entities::TABLES).await.unwrap().state;
        let state = summoner::game::state::UserState::from_rows(&stored).unwrap();
        assert_eq!(state.profile.gold, before.gold, "the refused change wrote nothing");
        assert!(!state.owned.monsters.contains_key(&FIRST_MONSTER), "the monster was not brought back");

        let retried = client.send(client.last_seq(), touch()).await.unwrap();
        assert_status(&retried, 200, ErrorCode::InvalidArgument);
        assert_eq!(profile(&mut client).await.gold, before.gold);
        server.stop().await;
    }
}
