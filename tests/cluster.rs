//! Several nodes on the same databases, in one test process, on every backend: requests of
//! one user sent to two nodes alternately and at once are applied once (a node that does not
//! own the user forwards it to the owner); an owner changed under a live actor fences its
//! commit, and the request goes to the new owner; a node that stops hands its users over; a
//! node id held by a live node is refused at start; work leases are held by one node at a
//! time and taken over when their holder stops; the node a user's routing key reaches takes
//! the user over from the node that served its Login; a player signed up in one call is
//! owned by the node that signed them up from the start.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::exec_sql;
use summoner::config::Config;
use summoner::server::{self, RunningServer, StartError};
use summoner_actors::SystemClock;
use summoner_client::{Answer, Client, device};
use summoner_proto::api::{
    ErrorCode, GetUserReq, ListMonstersReq, SetNicknameReq, SummonReq, request::Payload, response::Payload as A,
};

const ADMIN: &str = "admin-secret";

/// The test's cluster settings: a short lease, a shared secret.
fn cluster(config: &Config) -> Config {
    let mut config = config.clone();
    config.cluster.secret = "the-secret-of-this-test-cluster".into();
    config.cluster.lease_ms = 1_500;
    config.admin.token = ADMIN.into();
    config
}

async fn start(config: &Config) -> RunningServer {
    summoner::telemetry::init(&config.log);
    server::start_with_clock(config.clone(), Arc::new(SystemClock)).await.expect("the node starts")
}

fn client_of(node: &RunningServer) -> Client {
    Client::new(&format!("http://{}", node.addr))
}

/// `client`'s session, on another node.
fn same_session(from: &Client, node: &RunningServer) -> Client {
    let mut other = client_of(node);
    other.set_token(from.token().to_vec());
    other
}

async fn admin_get(node: &RunningServer, path: &str) -> serde_json::Value {
    let answer = reqwest::Client::new()
        .get(format!("{}{path}", node.admin_url()))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("the admin listener answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.expect("JSON")
}

/// Waits until `check` holds, at most `within` (condition polling, not a fixed sleep).
async fn until<F: AsyncFn() -> bool>(within: Duration, what: &str, check: F) {
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn summon() -> Payload {
    Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })
}

async fn gold(client: &mut Client) -> u64 {
    common::profile(client).await.gold
}

/// Every monster id the user owns, read page by page.
async fn monster_ids(client: &mut Client) -> Vec<u64> {
    let mut ids = Vec::new();
    loop {
        let page = answer!(
            common::ok(client, Payload::ListMonsters(ListMonstersReq { offset: ids.len() as u32, limit: 100 })).await,
            ListMonsters
        );
        let got = page.monsters.len();
        ids.extend(page.monsters.iter().map(|m| m.id));
        if got < 100 {
            return ids;
        }
    }
}

/// Sends seq `seq` of `payload` to both nodes at once; both must get the same bytes.
async fn to_both(a: &Client, b: &Client, seq: u64, payload: Payload) -> Answer {
    let (first, second) = tokio::join!(a.send(seq, payload.clone()), b.send(seq, payload));
    let (first, second) = (first.expect("node A answers"), second.expect("node B answers"));
    assert_eq!((first.status, second.status), (200, 200), "{:?} / {:?}", first.response, second.response);
    assert_eq!(first.bytes, second.bytes, "a retry on the other node gets the identical answer");
    first
}

on_every_backend! {
    /// One user's requests, sent to two nodes alternately and both at once, are applied once
    /// each; when the owner changes under a live actor, its commit is fenced and the request
    /// served by the new owner; a node that stops hands the user on.
    async fn two_nodes_apply_each_request_of_a_user_once(config) {
        let config = cluster(&config);
        let a = start(&config).await;
        let b = start(&config).await;
        assert_ne!(a.node.id, b.node.id, "each node takes its own id");
        let mut on_a = client_of(&a);
        on_a.register(device("dev-two-nodes")).await.expect("register");
        let login = on_a.login(device("dev-two-nodes")).await.expect("login");
        let user = match login.response.payload { Some(A::Login(l)) => l.user.expect("user").user_id, other => panic!("{other:?}") };
        common::rich_on(&a.directory, user).await;
        // Without a routing key, as a client of nodes without a load balancer: no node asks
        // for the user, so it stays where it is (the hand-over has a test of its own).
        on_a.set_route("");
        let on_b = same_session(&on_a, &b);
        for (node, other) in [(&a, b.node.id), (&b, a.node.id)] {
            until(Duration::from_secs(5), "each node knows the other", async || {
                admin_get(node, "/admin/cluster").await["peers"].as_array().is_some_and(|p| p.contains(&other.into()))
            }).await;
        }
        let start_gold = gold(&mut on_a).await;
        let owned_before = monster_ids(&mut on_a).await.len();

        // Alternately, each seq to both nodes at once: B forwards to A, the owner.
        let mut summons = 0;
        for _ in 0..6 {
            let seq = on_a.last_seq() + 1;
            on_a.resume_at(seq);
            let answer = to_both(&on_a, &on_b, seq, summon()).await;
            assert_eq!(answer.code(), ErrorCode::Ok);
            summons += 1;
        }
        assert_eq!(gold(&mut on_a).await, start_gold - summons * 1_000, "every summon paid once");
        let owner = admin_get(&b, &format!("/admin/users/{user}")).await;
        assert_eq!(owner["owner_node"], a.node.id, "B reads who owns the user: A");

        // The owner changes under A's live actor (as when A's lease lapsed and B took the user
        // over): A's next commit is fenced, and the request goes to B, which applies it once.
        let epoch = owner["owner_epoch"].as_i64().expect("an epoch");
        for url in config.storage.game() {
            let sql = format!("UPDATE users SET owner_node = {}, owner_epoch = owner_epoch + 1 WHERE user_id = {user}", b.node.id);
            exec_sql(&url, &sql).await;
        }
        let fenced_before = fenced_total(&a).await;
        let seq = on_a.last_seq() + 1;
        on_a.resume_at(seq);
        let moved = on_a.send(seq, summon()).await.expect("answered");
        assert_eq!((moved.status, moved.code()), (200, ErrorCode::Ok), "{:?}", moved.response);
        summons += 1;
        assert!(fenced_total(&a).await > fenced_before, "A's commit was fenced");
        let retried = on_a.send(seq, summon()).await.expect("answered");
        assert_eq!(retried.bytes, moved.bytes, "the retry is answered by the new owner with the same bytes");
        let owner = admin_get(&a, &format!("/admin/users/{user}")).await;
        assert_eq!(owner["owner_node"], b.node.id);
        assert!(owner["owner_epoch"].as_i64().expect("an epoch") > epoch + 1, "B's activation raised the epoch");
        assert_eq!(gold(&mut on_a).await, start_gold - summons * 1_000);

        // B stops: the user goes to A, at a new epoch, and nothing acknowledged is lost.
        b.drain_and_stop().await.expect("B stops");
        common::ok(&mut on_a, Payload::GetUser(GetUserReq {})).await;
        let owner = admin_get(&a, &format!("/admin/users/{user}")).await;
        assert_eq!(owner["owner_node"], a.node.id, "A took the user back");
        assert_eq!(gold(&mut on_a).await, start_gold - summons * 1_000);
        let ids = monster_ids(&mut on_a).await;
        assert_eq!(ids.len(), owned_before + summons as usize, "every summon made one monster, once");
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "no id minted twice");
        a.stop().await.expect("A stops");
    }
}

on_every_backend! {
    /// A user whose Login reached node A is handed to node B once its requests carry the
    /// routing key and reach B (as a load balancer hashing the key sends them): A serves the
    /// first and retires the user's actor, B serves the next itself (also when A had to
    /// activate the user again to answer). Requests without the key are forwarded and leave
    /// the user where it is.
    async fn the_node_a_routing_key_reaches_takes_the_user_over(config) {
        let config = cluster(&config);
        let a = start(&config).await;
        let b = start(&config).await;
        let (on_a, user) = logged_in_on(&a, "dev-hand-over").await;
        assert_eq!(on_a.route(), user.to_string(), "Login answers the routing key");
        for (node, other) in [(&a, b.node.id), (&b, a.node.id)] {
            until(Duration::from_secs(5), "each node knows the other", async || {
                admin_get(node, "/admin/cluster").await["peers"].as_array().is_some_and(|p| p.contains(&other.into()))
            }).await;
        }
        common::rich_on(&a.directory, user).await;
        let owner_of = async |node: &RunningServer| admin_get(node, &format!("/admin/users/{user}")).await["owner_node"].clone();

        // Without the key: forwarded to A, which keeps the user.
        let mut keyless = same_session(&on_a, &b);
        keyless.resume_at(on_a.last_seq());
        common::ok(&mut keyless, Payload::GetUser(GetUserReq {})).await;
        common::ok(&mut keyless, Payload::GetUser(GetUserReq {})).await;
        assert_eq!(owner_of(&b).await, a.node.id, "a request without the key moves nobody");
        assert!(admin_get(&a, &format!("/admin/users/{user}")).await["live"].as_bool().expect("live"), "A holds the actor");
        let handed_before = handed_over_total(&b).await;
        // The user's actor on A retires (idle), so A activates the user again (a new epoch)
        // to answer the keyed request: the hand-over names that epoch, not the one B read.
        assert_eq!(a.passivate_all().await, 1, "A retired the user's actor");

        // With the key: A answers the first, then hands the user over; B serves the rest.
        let mut keyed = same_session(&on_a, &b);
        keyed.set_route(on_a.route());
        keyed.resume_at(keyless.last_seq());
        let start_gold = gold(&mut keyed).await;
        assert_eq!(handed_over_total(&b).await, handed_before + 1.0, "A handed the user over once");
        assert!(!admin_get(&a, &format!("/admin/users/{user}")).await["live"].as_bool().expect("live"), "A retired the actor");
        let paid = common::call(&mut keyed, summon()).await;
        assert_eq!((paid.status, paid.code()), (200, ErrorCode::Ok), "{:?}", paid.response);
        // A retry of that summon sent to A (which no longer holds the user) gets B's answer.
        let back_on_a = same_session(&keyed, &a);
        let retried = back_on_a.send(keyed.last_seq(), summon()).await.expect("answered");
        assert_eq!(retried.bytes, paid.bytes, "the retry is answered once, by the owner");
        assert_eq!(owner_of(&a).await, b.node.id, "B took the user over");
        assert!(admin_get(&b, &format!("/admin/users/{user}")).await["live"].as_bool().expect("live"), "B holds the actor");
        assert_eq!(gold(&mut keyed).await, start_gold - 1_000, "the summon was paid once, on B");
        assert_eq!(handed_over_total(&b).await, handed_before + 1.0, "B serves the user itself now");
        a.stop().await.expect("A stops");
        b.stop().await.expect("B stops");
    }
}

/// How many users node `node` was handed over by the owner of a request it forwarded.
async fn handed_over_total(node: &RunningServer) -> f64 {
    metric(node, "summoner_forwards_total{outcome=\"handed_over\"} ").await
}

/// The value of the metric line starting with `prefix` that `node` exports (0 when absent).
async fn metric(node: &RunningServer, prefix: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", node.admin_url()))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    text.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

/// The process-wide count of fenced writes, as node `node` exports it.
async fn fenced_total(node: &RunningServer) -> f64 {
    metric(node, "summoner_writes_fenced_total ").await
}

on_every_backend! {
    /// A configured node id that a live node holds is refused at start, naming the holder;
    /// once its holder stopped it is free at once.
    async fn a_node_id_held_by_a_live_node_is_refused(config) {
        let mut config = cluster(&config);
        config.storage.node_id = Some(7);
        let first = start(&config).await;
        assert_eq!(first.node.id, 7);
        let refused = server::start_with_clock(config.clone(), Arc::new(SystemClock)).await;
        match refused {
            Err(StartError::Node(why)) => assert!(why.contains("node id 7 is held by a live node"), "{why}"),
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => panic!("a second node took id 7"),
        }
        first.stop().await.expect("stops");
        let again = start(&config).await;
        assert_eq!(again.node.id, 7, "a stopped node's id is free");
        again.stop().await.expect("stops");
    }
}

on_every_backend! {
    /// Work that runs once cluster-wide (each shard's courier and shipper, each job) is held
    /// by one node; a second node holds none of it and refuses to run a job the first holds;
    /// when the first stops, the second takes the work over.
    async fn work_leases_are_held_by_one_node_and_taken_over(config) {
        let config = cluster(&config);
        let a = start(&config).await;
        let b = start(&config).await;
        let cluster = admin_get(&b, "/admin/cluster").await;
        let leases = cluster["leases"].as_array().expect("leases").clone();
        assert!(leases.iter().any(|l| l["name"] == "courier:game-1") && leases.iter().any(|l| l["name"] == "job:expired_mail"), "{leases:?}");
        assert!(leases.iter().all(|l| l["node_id"] == a.node.id), "the first node holds all the work: {leases:?}");
        let jobs = admin_get(&b, "/admin/jobs").await;
        // Account deletions run on every node (each erases the users it may own).
        for job in jobs["jobs"].as_array().expect("jobs") {
            assert_eq!(job["held_here"], job["name"] == "account_deletions", "{job}");
        }
        let run = reqwest::Client::new()
            .post(format!("{}/admin/jobs/expired_mail/run", b.admin_url()))
            .header("Authorization", format!("Bearer {ADMIN}"))
            .send()
            .await
            .expect("answered");
        assert_eq!(run.status().as_u16(), 409, "a job held elsewhere is not run here");

        // A delivery committed through B is carried by A's courier (B tells A).
        let (mut sender, _) = logged_in_on(&b, "dev-lease-sender").await;
        let (_, receiver) = logged_in_on(&b, "dev-lease-receiver").await;
        let sent = common::call(&mut sender, Payload::DebugAddFriend(summoner_proto::api::DebugAddFriendReq { user_id: receiver })).await;
        assert_eq!(sent.code(), ErrorCode::Ok, "{:?}", sent.response);
        let gift = common::call(&mut sender, Payload::SendGift(summoner_proto::api::SendGiftReq { user_id: receiver })).await;
        assert_eq!(gift.code(), ErrorCode::Ok, "{:?}", gift.response);
        until(Duration::from_secs(10), "the gift leaves the outbox", async || {
            common::game_rows(&config, "outbox", "").await == 0
        }).await;

        a.stop().await.expect("A stops");
        until(Duration::from_secs(10), "B holds every lease", async || {
            let leases = admin_get(&b, "/admin/cluster").await["leases"].as_array().cloned().unwrap_or_default();
            !leases.is_empty() && leases.iter().all(|l| l["node_id"] == b.node.id)
        }).await;
        b.stop().await.expect("B stops");
    }
}

on_every_backend! {
    /// A player signed up in one call on node A is A's from the start, as an activation on A
    /// leaves a user (owner A, epoch 1), though nothing was read back: B forwards their
    /// requests to A, a sign-in of the same credential on B logs in on A, and neither moves
    /// the user; when B takes the user over, A's actor is fenced as any activation's is.
    async fn a_player_signed_up_on_a_node_is_owned_by_it(config) {
        let config = cluster(&config);
        let a = start(&config).await;
        let b = start(&config).await;
        for (node, other) in [(&a, b.node.id), (&b, a.node.id)] {
            until(Duration::from_secs(5), "each node knows the other", async || {
                admin_get(node, "/admin/cluster").await["peers"].as_array().is_some_and(|p| p.contains(&other.into()))
            }).await;
        }
        let mut on_a = client_of(&a);
        let signed = on_a.sign_in(device("dev-signed-up")).await.expect("sign-in answers");
        let user = match signed.response.payload {
            Some(A::Login(l)) if l.registered => l.user.expect("user").user_id,
            other => panic!("{other:?}"),
        };
        on_a.set_route("");
        let owner = admin_get(&b, &format!("/admin/users/{user}")).await;
        assert_eq!((owner["owner_node"].clone(), owner["owner_epoch"].as_i64()), (a.node.id.into(), Some(1)));

        let mut on_b = same_session(&on_a, &b);
        let rename = Payload::SetNickname(SetNicknameReq { nickname: "Signed".into() });
        common::ok(&mut on_b, rename).await;
        let mut again = client_of(&b);
        let login = again.sign_in(device("dev-signed-up")).await.expect("sign-in answers");
        match login.response.payload {
            Some(A::Login(l)) => assert_eq!((l.registered, l.user.map(|u| (u.user_id, u.nickname))), (false, Some((user, "Signed".into())))),
            other => panic!("{other:?}"),
        }
        let owner = admin_get(&a, &format!("/admin/users/{user}")).await;
        assert_eq!((owner["owner_node"].clone(), owner["owner_epoch"].as_i64()), (a.node.id.into(), Some(1)), "nothing moved the user");

        // B takes the user over under A's live actor: A's next commit is fenced.
        for url in config.storage.game() {
            let sql = format!("UPDATE users SET owner_node = {}, owner_epoch = owner_epoch + 1 WHERE user_id = {user}", b.node.id);
            exec_sql(&url, &sql).await;
        }
        let fenced_before = fenced_total(&a).await;
        again.set_route("");
        let mut on_a = same_session(&again, &a);
        on_a.resume_at(again.last_seq());
        common::ok(&mut on_a, Payload::SetNickname(SetNicknameReq { nickname: "Moved".into() })).await;
        assert!(fenced_total(&a).await > fenced_before, "A's commit was fenced");
        assert_eq!(common::profile(&mut on_a).await.nickname, "Moved");
        a.stop().await.expect("A stops");
        b.stop().await.expect("B stops");
    }
}

async fn logged_in_on(node: &RunningServer, device_id: &str) -> (Client, u64) {
    let mut client = client_of(node);
    let registered = client.register(device(device_id)).await.expect("register answers");
    let login = client.login(device(device_id)).await.expect("login answers");
    assert!(login.is_ok(), "{login:?}");
    let Some(A::Register(r)) = registered.response.payload else { panic!("no register payload") };
    (client, r.user_id)
}

on_every_backend! {
    /// A node frozen in the middle of a transaction holds its row locks; the database ends
    /// that transaction once it has been idle for the node's lease, so a node taking the
    /// users over waits at most that long (PostgreSQL and MariaDB; SQLite has one writer).
    async fn a_transaction_left_idle_for_a_lease_is_ended_by_the_database(config) {
        use summoner::storage::conn::{SqlConn, dialect_of};
        use summoner::storage::db::Db;
        use summoner::storage::sql::Statement;
        use summoner::storage::StoreError;

        let url = config.storage.common();
        if url.starts_with("sqlite") {
            return;
        }
        exec_sql(&url, "CREATE TABLE idle_probe (id INT PRIMARY KEY, v INT NOT NULL)").await;
        exec_sql(&url, "INSERT INTO idle_probe (id, v) VALUES (1, 0)").await;
        let limit = Duration::from_secs(1);
        let frozen = Db::connect_with(&url, 1, Duration::from_secs(10), Some(limit)).expect("connects");
        let other = Db::connect(&url, 1, Duration::from_secs(10)).expect("connects");
        let fail = |e: diesel::result::Error| StoreError::Database("idle probe".into(), e.to_string());
        let started = std::time::Instant::now();
        let ended: Result<usize, StoreError> = summoner::with_conn!(frozen, "hold a row lock", |conn| async {
            let dialect = dialect_of(conn);
            // MySQL cannot prepare BEGIN; without autocommit the update opens the transaction.
            let begin = if dialect == summoner::storage::sql::Dialect::Mysql { "SET autocommit = 0" } else { "BEGIN" };
            conn.exec(Statement::new(dialect, begin)).await.map_err(fail)?;
            conn.exec(Statement::new(dialect, "UPDATE idle_probe SET v = 1 WHERE id = 1")).await.map_err(fail)?;
            // The holder idles in its transaction while another connection wants the row.
            let took = summoner::with_conn!(other, "take the row", |c| {
                let statement = Statement::new(dialect_of(c), "UPDATE idle_probe SET v = 2 WHERE id = 1");
                tokio::time::timeout(Duration::from_secs(30), c.exec(statement))
                    .await
                    .expect("the row is free within 30 s: the idle transaction was ended")
                    .map_err(fail)
            });
            assert_eq!(took.expect("the other connection updates the row"), 1);
            // The holder's transaction is gone: its next statement fails.
            conn.exec(Statement::new(dialect, "COMMIT")).await.map_err(fail)
        }
        .await);
        assert!(started.elapsed() >= limit, "the row was held while the transaction was younger than the limit");
        assert!(ended.is_err(), "the frozen transaction cannot commit after the database ended it: {ended:?}");
        assert_eq!(common::count_rows(&url, "idle_probe", "v = 2").await, 1, "the other connection's write stands");
    }
}
