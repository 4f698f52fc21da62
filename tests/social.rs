//! Between players, on every backend, with users on different game shards: a friend request
//! and a gift reach a receiver whose actor is live and one whose actor retired, at their next
//! request, exactly once; two users asking and accepting each other at the same moment end
//! as one friendship; a friend list of 50 friends over two shards is read from the snapshot
//! cache, and costs one query per shard when the cache lost them;
//! a friend's dungeon team is rebuilt from the database when the cache lost it.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, assert_status, call, game_rows, logged_in, ok};
use summoner::config::Config;
use summoner::storage::Store;
use summoner::storage::db_store::DbStore;
use summoner_actors::{Clock, ManualClock};
use summoner_client::Client;
use summoner_proto::api::{
    AcceptFriendRequestReq, ClaimMailReq, CreateClanReq, DebugGrantMonstersReq, DeleteAccountReq, ErrorCode,
    GetClanReq, GetUserReq, JoinClanReq, ListFriendRequestsReq, ListFriendsReq, ListMailReq, LoginReq,
    SendFriendRequestReq, SendGiftReq, SetTeamReq, SummonReq, VisitFriendDungeonReq, request::Payload,
};

/// A server over a store the test keeps a handle on (to count queries).
async fn start(config: &Config) -> (TestServer, Arc<DbStore>) {
    let clock = ManualClock::new();
    let store = Arc::new(
        DbStore::open(&summoner::service::open::store_config(config), clock.now_ms()).await.expect("store opens"),
    );
    let server = TestServer::start_with_store(config.clone(), store.clone()).await;
    (server, store)
}

async fn shard_of(store: &DbStore, user: u64) -> i16 {
    store.load_user(user, &[]).await.expect("the user loads").state.shards.game
}

/// Every write committed and every delivery and action log carried.
async fn settle(store: &DbStore) {
    store.flush().await.expect("flushed");
}

async fn ask(client: &mut Client, user_id: u64) {
    ok(client, Payload::SendFriendRequest(SendFriendRequestReq { user_id })).await;
}

/// Lists `client`'s friends, asserting it queried each game shard `per_shard` times. The
/// node's lease renewals read the common database every few seconds; one that lands in the
/// window of a list is not the list's. A read of the list's own shows in every try, so the
/// common database must be untouched in one of five.
async fn list_counting_queries(
    client: &mut Client,
    store: &DbStore,
    per_shard: (u64, u64),
) -> summoner_proto::api::ListFriendsRes {
    let dbs = store.databases();
    let counts = || (dbs.common.queries.get(), dbs.game[&1].queries.get(), dbs.game[&2].queries.get());
    let mut common_reads = Vec::new();
    let mut listed = None;
    for _ in 0..5 {
        let before = counts();
        let answer = answer!(ok(client, Payload::ListFriends(ListFriendsReq {})).await, ListFriends);
        let after = counts();
        assert_eq!((after.1 - before.1, after.2 - before.2), per_shard, "queries on each game shard");
        common_reads.push(after.0 - before.0);
        listed = Some(answer);
        if after.0 == before.0 {
            break;
        }
    }
    assert!(common_reads.contains(&0), "the common database read by every list: {common_reads:?}");
    listed.expect("listed")
}

async fn friends(client: &mut Client) -> Vec<u64> {
    let listed = answer!(ok(client, Payload::ListFriends(ListFriendsReq {})).await, ListFriends);
    listed.friends.iter().map(|f| f.user_id).collect()
}

on_every_backend! {
    async fn requests_and_gifts_reach_live_and_retired_receivers_once(config) {
        let (server, store) = start(&config).await;
        let (mut sender, sender_id) = logged_in(&server, "dev-sender").await;
        let (mut away, away_id) = logged_in(&server, "dev-away").await;
        ok(&mut away, Payload::GetUser(GetUserReq {})).await;
        assert_ne!(shard_of(&store, sender_id).await, shard_of(&store, away_id).await, "placed on two shards");
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 2, "both actors retired");
        let (mut here, here_id) = logged_in(&server, "dev-here").await;
        ok(&mut here, Payload::GetUser(GetUserReq {})).await;

        // A request to a live receiver and one to a retired receiver.
        ask(&mut sender, here_id).await;
        ask(&mut sender, away_id).await;
        settle(&store).await;
        for (client, name) in [(&mut here, "live"), (&mut away, "retired")] {
            let listed = answer!(ok(client, Payload::ListFriendRequests(ListFriendRequestsReq {})).await, ListFriendRequests);
            assert_eq!(listed.incoming.iter().map(|r| r.user_id).collect::<Vec<_>>(), [sender_id], "{name} receiver");
            assert_eq!(listed.incoming[0].nickname, "", "a new user has no nickname yet");
            ok(client, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: sender_id })).await;
        }
        settle(&store).await;
        let mut made = friends(&mut sender).await;
        made.sort_unstable();
        let mut expected = vec![here_id, away_id];
        expected.sort_unstable();
        assert_eq!(made, expected);

        // Gifts to both, the retired one retired again first.
        ok(&mut away, Payload::GetUser(GetUserReq {})).await;
        server.clock.advance_ms(301_000);
        assert!(server.running.passivate_idle().await >= 1);
        let sent = answer!(ok(&mut sender, Payload::SendGift(SendGiftReq { user_id: 0 })).await, SendGift);
        assert_eq!(sent.sent_to.len(), 2);
        settle(&store).await;
        settle(&store).await;
        for client in [&mut here, &mut away] {
            let mail = answer!(ok(client, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
            let gifts: Vec<_> = mail.iter().filter(|m| m.kind == "gift" && m.sender_id == sender_id).collect();
            assert_eq!(gifts.len(), 1, "one gift mail: {mail:?}");
            let claimed = answer!(
                ok(client, Payload::ClaimMail(ClaimMailReq { mail_id: gifts[0].id, all: false })).await,
                ClaimMail
            );
            assert_eq!(claimed.user.expect("the user").friend_points, u64::from(sent.points));
        }
        // Exactly once on the database too: one friendship row each way, one gift mail each,
        // nothing left in an outbox, every inbox row applied.
        for (a, b) in [(sender_id, here_id), (here_id, sender_id), (sender_id, away_id), (away_id, sender_id)] {
            assert_eq!(game_rows(&config, "friends", &format!("user_id = {a} AND friend_id = {b}")).await, 1);
        }
        assert_eq!(game_rows(&config, "mail", "kind = 'gift'").await, 2);
        assert_eq!(game_rows(&config, "outbox", "").await, 0);
        assert_eq!(game_rows(&config, "inbox", "applied_at_ms = 0").await, 0);
        server.stop().await;
    }
}

on_every_backend! {
    async fn asking_and_accepting_each_other_at_once_make_one_friendship(config) {
        let (server, store) = start(&config).await;
        let (mut a, ia) = logged_in(&server, "dev-left").await;
        let (mut b, ib) = logged_in(&server, "dev-right").await;
        assert_ne!(shard_of(&store, ia).await, shard_of(&store, ib).await);
        let (x, y) = futures_util::join!(
            call(&mut a, Payload::SendFriendRequest(SendFriendRequestReq { user_id: ib })),
            call(&mut b, Payload::SendFriendRequest(SendFriendRequestReq { user_id: ia })),
        );
        assert_status(&x, 200, ErrorCode::Ok);
        assert_status(&y, 200, ErrorCode::Ok);
        settle(&store).await;
        let (x, y) = futures_util::join!(
            call(&mut a, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: ib })),
            call(&mut b, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: ia })),
        );
        assert!([&x, &y].iter().all(|r| r.status == 200), "{x:?} {y:?}");
        for _ in 0..3 {
            settle(&store).await;
            ok(&mut a, Payload::GetUser(GetUserReq {})).await;
            ok(&mut b, Payload::GetUser(GetUserReq {})).await;
        }
        assert_eq!((friends(&mut a).await, friends(&mut b).await), (vec![ib], vec![ia]));
        assert_eq!(game_rows(&config, "friends", "").await, 2, "one friendship: a row on each side");
        assert_eq!(game_rows(&config, "friend_requests", "").await, 0);
        server.stop().await;
    }
}

on_every_backend! {
    async fn a_friend_list_over_two_shards_reads_the_cache_else_one_query_per_shard(config) {
        let (server, store) = start(&config).await;
        let (mut me, my_id) = logged_in(&server, "dev-popular").await;
        let mut others = Vec::new();
        for i in 0..50 {
            others.push(logged_in(&server, &format!("dev-friend-{i}")).await);
        }
        for (_, id) in &others {
            ask(&mut me, *id).await;
        }
        settle(&store).await;
        for (client, _) in &mut others {
            ok(client, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: my_id })).await;
        }
        settle(&store).await;
        ok(&mut me, Payload::GetUser(GetUserReq {})).await;
        settle(&store).await;
        // The answers just delivered made the others' actors read their inboxes again; a
        // request of each waits behind that, so nothing else runs while the list is read.
        for (client, _) in &mut others {
            ok(client, Payload::GetUser(GetUserReq {})).await;
        }
        // And their action logs are shipped, so no courier reads a shard meanwhile.
        settle(&store).await;
        // Each friend's first commit (the acceptance) published their snapshot.
        server.running.directory.backend().write_behind().settled().await;
        let published_at = server.clock.now_ms();
        server.clock.advance_ms(1_000);
        let listed = list_counting_queries(&mut me, &store, (0, 0)).await;
        assert_eq!(listed.friends.len(), 50);
        assert!(listed.friends.iter().all(|f| f.snapshot.as_ref().is_some_and(|s| s.user_id == f.user_id
            && s.taken_at_ms <= published_at
            && s.team.is_empty())), "every friend from the cache, without the team");
        let shards: std::collections::BTreeSet<i16> = {
            let mut set = std::collections::BTreeSet::new();
            for (_, id) in &others {
                set.insert(shard_of(&store, *id).await);
            }
            set
        };
        assert_eq!(shards.len(), 2, "the friends live on both shards");
        server.stop().await;

        // A new process: its cache holds none of them, and no friend of mine is active to
        // publish one. The list reads their profiles, one query per game shard.
        let (server, store) = start(&config).await;
        let mut me = {
            let mut moved = server.client();
            moved.set_token(me.token().to_vec());
            moved.resume_at(me.last_seq());
            moved
        };
        ok(&mut me, Payload::GetUser(GetUserReq {})).await;
        settle(&store).await;
        let listed = list_counting_queries(&mut me, &store, (1, 1)).await;
        assert_eq!(listed.friends.len(), 50);
        let now = server.clock.now_ms();
        assert!(listed.friends.iter().all(|f| f.snapshot.as_ref().is_some_and(|s| s.user_id == f.user_id && s.taken_at_ms == now)), "every friend from their profile");
        server.stop().await;
    }
}

on_every_backend! {
    /// A friend's dungeon team comes from the cache, and from the friend's rows when the
    /// cache lost it (a new process); a won visit pays the host by mail.
    async fn a_friends_dungeon_is_rebuilt_from_the_database_when_the_cache_lost_it(config) {
        let (server, store) = start(&config).await;
        let (mut visitor, visitor_id) = logged_in(&server, "dev-visitor").await;
        let (mut host, host_id) = logged_in(&server, "dev-host").await;
        ask(&mut visitor, host_id).await;
        settle(&store).await;
        ok(&mut host, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: visitor_id })).await;
        settle(&store).await;
        let mut teams = Vec::new();
        for (client, count) in [(&mut visitor, 5), (&mut host, 2)] {
            let granted = ok(client, Payload::DebugGrantMonsters(DebugGrantMonstersReq { template: "mon.slime.fire.1".into(), count })).await;
            let ids = answer!(granted, DebugGrantMonsters).monster_ids;
            ok(client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: ids.clone() })).await;
            teams.push(ids);
        }
        server.stop().await;

        // A new process: its cache has nothing of the host.
        let (server, store) = start(&config).await;
        let moved = |client: &Client| {
            let mut moved = server.client();
            moved.set_token(client.token().to_vec());
            moved.resume_at(client.last_seq());
            moved
        };
        let (mut visitor, mut host) = (moved(&visitor), moved(&host));
        let started = answer!(
            ok(&mut visitor, Payload::VisitFriendDungeon(VisitFriendDungeonReq { friend_id: host_id, team_slot: 1, ..Default::default() })).await,
            VisitFriendDungeon
        );
        let fought = started.friend.expect("the host as fought");
        assert_eq!(fought.team.iter().map(|m| m.id).collect::<Vec<_>>(), teams[1], "the host's first team, from its rows");
        assert!(fought.has_team && started.enemy_power == fought.team_power && fought.team_power > 0);
        server.clock.advance_ms(60_000);
        let finish = VisitFriendDungeonReq {
            friend_id: host_id, team_slot: 1, battle_token: started.battle_token, elapsed_ms: 60_000, ..Default::default()
        };
        let won = answer!(ok(&mut visitor, Payload::VisitFriendDungeon(finish)).await, VisitFriendDungeon);
        assert!(won.won && won.host_points > 0);
        // Two monsters against the visitor's five: the weak team pays in proportion, as the start said.
        let social = server.running.catalog.current().social.clone();
        assert!(started.pay_pct > 0 && started.pay_pct < 100, "pays {}%", started.pay_pct);
        assert_eq!((won.pay_pct, won.gold), (started.pay_pct, social.dungeon_gold * u64::from(started.pay_pct) / 100));
        settle(&store).await;
        let mail = answer!(ok(&mut host, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
        assert!(mail.iter().any(|m| m.kind == "dungeon_visit" && m.sender_id == visitor_id), "{mail:?}");
        server.stop().await;
    }
}

on_every_backend! {
    /// Deliveries a courier cannot carry (here 2,100, more than one round reads, for a game
    /// shard no node knows) move to the dead letters instead of holding up the outbox: a
    /// friend request sent after them arrives. The admin view lists them with why; an operator
    /// puts them back; and once the cause is mended the courier's sweep puts them back by
    /// itself and they are delivered.
    async fn deliveries_that_cannot_be_carried_go_to_the_dead_letters_and_the_rest_goes_on(config) {
        let mut config = config.clone();
        config.admin.token = "admin-token".into();
        config.storage.log_sweep_secs = 1;
        let (server, store) = start(&config).await;
        let (mut asker, _) = logged_in(&server, "dev-dl-asker").await;
        let (mut asked, asked_id) = logged_in(&server, "dev-dl-asked").await;
        let (_, lost_id) = logged_in(&server, "dev-dl-lost").await;
        let asker_id = ok(&mut asker, Payload::GetUser(GetUserReq {})).await;
        let asker_id = answer!(asker_id, GetUser).user.expect("a user").user_id;
        settle(&store).await;
        let (outbox_no, lost_shard) = (shard_of(&store, asker_id).await, shard_of(&store, lost_id).await);
        let outbox_url = config.storage.game()[usize::try_from(outbox_no - 1).unwrap()].clone();
        let common = config.storage.common();
        let moved = format!("UPDATE accounts SET gamedb_shard_no = 99 WHERE user_id = {lost_id}");
        assert_eq!(common::exec_sql(&common, &moved).await, 1);
        // Ids below every real one: at the head of the outbox.
        for chunk in (1..=2_100u64).collect::<Vec<_>>().chunks(700) {
            let values: Vec<String> =
                chunk.iter().map(|id| format!("({id}, {asker_id}, {outbox_no}, {lost_id}, 'gift', '', 1)")).collect();
            let insert = format!(
                "INSERT INTO outbox (delivery_id, sender_id, sender_shard, receiver_id, kind, body, created_at_ms) VALUES {}",
                values.join(", ")
            );
            common::exec_sql(&outbox_url, &insert).await;
        }
        let dead_before = summoner::metrics::METRICS.deliveries_dead_lettered.get();
        ask(&mut asker, asked_id).await;
        settle(&store).await;

        let requests = answer!(ok(&mut asked, Payload::ListFriendRequests(ListFriendRequestsReq {})).await, ListFriendRequests);
        assert_eq!(requests.incoming.iter().map(|r| r.user_id).collect::<Vec<_>>(), [asker_id], "the request arrived");
        assert_eq!(game_rows(&config, "outbox", "").await, 0, "nothing stays in the outbox");
        assert_eq!(common::count_rows(&outbox_url, "dead_letters", &format!("receiver_id = {lost_id}")).await, 2_100);
        assert!(summoner::metrics::METRICS.deliveries_dead_lettered.get() - dead_before >= 2_100);

        let http = reqwest::Client::new();
        let listed: serde_json::Value = http
            .get(format!("{}/admin/dead-letters?limit=5", server.admin_url))
            .bearer_auth("admin-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let letters = listed["dead_letters"].as_array().expect("a list");
        assert_eq!(letters.len(), 5);
        assert_eq!(letters[0]["outbox"], format!("game-{outbox_no}"));
        assert_eq!(letters[0]["delivery_id"], 1);
        assert_eq!(letters[0]["reason"], "for a game shard this node does not know");

        let requeue = |outbox: String| {
            http.post(format!("{}/admin/dead-letters/requeue?outbox={outbox}", server.admin_url))
                .bearer_auth("admin-token")
                .send()
        };
        assert_eq!(requeue("game-77".into()).await.unwrap().status().as_u16(), 422, "no such outbox");
        // Put back before the cause is mended (nothing else moves them: their shard is still
        // unknown): all of them go back, and the courier buries them again.
        let answer = requeue(format!("game-{outbox_no}")).await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        assert!(answer.text().await.unwrap().starts_with("2100 dead letters put back"));
        settle(&store).await;
        assert_eq!(common::count_rows(&outbox_url, "dead_letters", "").await, 2_100, "buried again");

        // Mended: the account names its shard again. The courier's sweep puts the letters back
        // by itself (a rolling deploy that added a shard needs no operator), and they arrive.
        let mended = format!("UPDATE accounts SET gamedb_shard_no = {lost_shard} WHERE user_id = {lost_id}");
        assert_eq!(common::exec_sql(&common, &mended).await, 1);
        let delivered = async {
            while game_rows(&config, "inbox", &format!("user_id = {lost_id}")).await < 2_100 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(60), delivered).await.expect("the sweep puts them back");
        assert_eq!(common::count_rows(&outbox_url, "dead_letters", "").await, 0);
        assert_eq!(game_rows(&config, "inbox", &format!("user_id = {lost_id}")).await, 2_100);
        server.stop().await;
    }
}

on_every_backend! {
    /// DeleteAccount on every backend: a wrong credential is refused and changes nothing; the
    /// right one ends the session, a Login in the grace period cancels, and once it is over
    /// the job erases the account: friends and request partners on both sides of the pair's
    /// authority see the pair end, the clan passes to its member, every row of the user goes
    /// but the summon log (kept as no one's), the account no longer signs in, and a second run
    /// finds nothing to do.
    async fn a_deleted_account_is_erased_everywhere_after_its_grace_period(config) {
        let mut config = config;
        config.jobs.deletion_grace_secs = 60;
        config.admin.token = "admin-token".into();
        let (server, store) = start(&config).await;
        // Registered before the deleted user (a lower id: they decide their pairs) and after.
        let (mut friend, friend_id) = logged_in(&server, "del-friend").await;
        let (mut asker, asker_id) = logged_in(&server, "del-asker").await;
        let (mut me, me_id) = logged_in(&server, "del-me").await;
        let (mut asked, asked_id) = logged_in(&server, "del-asked").await;
        assert!(friend_id < me_id && asker_id < me_id && me_id < asked_id, "ids rise with registration");
        ask(&mut me, friend_id).await;
        ask(&mut me, asked_id).await;
        ask(&mut asker, me_id).await;
        settle(&store).await;
        ok(&mut friend, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: me_id })).await;
        settle(&store).await;
        assert_eq!(friends(&mut me).await, vec![friend_id]);
        common::rich(&server, me_id).await;
        let clan = answer!(
            ok(&mut me, Payload::CreateClan(CreateClanReq { name: "Leavers".into(), open: true })).await,
            CreateClan
        );
        let clan_id = clan.clan.expect("a clan").clan_id;
        ok(&mut friend, Payload::JoinClan(JoinClanReq { clan_id })).await;
        ok(&mut me, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await;
        settle(&store).await;

        let delete = |device_id: &str| {
            Payload::DeleteAccount(DeleteAccountReq { credential: Some(summoner_client::device(device_id)) })
        };
        let refused = call(&mut me, delete("del-friend")).await;
        assert_status(&refused, 200, ErrorCode::CredentialMismatch);
        ok(&mut me, Payload::GetUser(GetUserReq {})).await;
        let asked_at = server.clock.now_ms();
        let deleted = call(&mut me, delete("del-me")).await;
        assert_status(&deleted, 200, ErrorCode::Ok);
        let erased_after = answer!(deleted.response.payload.clone().expect("a payload"), DeleteAccount).erased_after_ms;
        assert_eq!(erased_after, asked_at + 60_000);
        // Its answer lost, the client sends it again: the same answer, nothing recorded anew.
        server.clock.advance_ms(500);
        let retry = me.send(me.last_seq(), delete("del-me")).await.expect("a retry answers");
        assert_eq!(retry.bytes, deleted.bytes, "a retry of DeleteAccount gets its answer");
        assert_status(&call(&mut me, Payload::GetUser(GetUserReq {})).await, 401, ErrorCode::Unauthenticated);

        // A Login in the grace period is refused unless it asks to cancel (a client logging
        // in by itself does not undo the deletion); one that asks cancels; asked again, the
        // grace starts anew.
        let pending = me.login(summoner_client::device("del-me")).await.expect("login answers");
        assert_status(&pending, 200, ErrorCode::AccountDeletionPending);
        assert!(pending.response.message.contains(&erased_after.to_string()), "{}", pending.response.message);
        assert_eq!(common::count_rows(&config.storage.common(), "account_deletions", &format!("user_id = {me_id}")).await, 1);
        assert_status(&call(&mut me, Payload::GetUser(GetUserReq {})).await, 401, ErrorCode::Unauthenticated);
        let keep = |cancel_deletion| LoginReq { credential: Some(summoner_client::device("del-me")), cancel_deletion, ..Default::default() };
        let login = me.login_with(keep(true)).await.expect("login answers");
        assert!(answer!(login.response.payload.expect("a payload"), Login).deletion_cancelled);
        let login = me.login_with(keep(true)).await.expect("login answers");
        assert!(!answer!(login.response.payload.expect("a payload"), Login).deletion_cancelled);
        server.clock.advance_ms(500);
        let erased_after = answer!(ok(&mut me, delete("del-me")).await, DeleteAccount).erased_after_ms;
        assert_eq!(erased_after, asked_at + 61_000);
        let run = |name: &'static str| {
            let url = format!("{}/admin/jobs/{name}/run", server.admin_url);
            async move {
                let answer = reqwest::Client::new().post(url).bearer_auth("admin-token").send().await.unwrap();
                assert_eq!(answer.status().as_u16(), 200);
                let run: serde_json::Value = answer.json().await.unwrap();
                assert_eq!(run["outcome"], "done", "{run}");
                run["count"].as_i64().expect("a count")
            }
        };
        assert_eq!(run("account_deletions").await, 0);
        assert_eq!(game_rows(&config, "users", &format!("user_id = {me_id}")).await, 1, "kept in its grace period");

        server.clock.advance_ms(60_000);
        assert_eq!(run("account_deletions").await, 0, "the account goes; its leftovers wait");
        let common_url = config.storage.common();
        for table in ["accounts", "account_auth", "sessions"] {
            assert_eq!(common::count_rows(&common_url, table, &format!("user_id = {me_id}")).await, 0, "{table}");
        }
        for table in ["users", "monsters", "friends", "friend_requests", "mail", "quests", "last_replies"] {
            assert_eq!(game_rows(&config, table, &format!("user_id = {me_id}")).await, 0, "{table}");
        }
        assert_status(&me.login(summoner_client::device("del-me")).await.unwrap(), 200, ErrorCode::NotRegistered);
        let page = answer!(ok(&mut friend, Payload::GetClan(GetClanReq { clan_id })).await, GetClan);
        let clan = page.clan.expect("the clan goes on");
        assert_eq!((clan.leader_id, clan.member_count), (friend_id, 1), "the member leads now");

        settle(&store).await;
        assert!(friends(&mut friend).await.is_empty(), "the friend sees the friendship end");
        for client in [&mut asked, &mut asker] {
            let lists = answer!(ok(client, Payload::ListFriendRequests(ListFriendRequestsReq {})).await, ListFriendRequests);
            assert!(lists.incoming.is_empty() && lists.outgoing.is_empty(), "{lists:?}");
        }
        assert_eq!(common::action_log_count(&config, "summon").await, 1);

        // A bot score of the user on each log shard.
        for url in config.storage.log() {
            common::exec_sql(&url, &format!("INSERT INTO bot_scores (user_id, day_ms, score_milli, features, scored_at_ms) VALUES ({me_id}, 0, 10, '{{}}', 0)")).await;
        }
        server.clock.advance_ms(summoner::service::deletions::SETTLE_MS);
        assert_eq!(run("account_deletions").await, 1, "erased");
        let mut scores = 0;
        for url in config.storage.log() {
            scores += common::count_rows(&url, "bot_scores", &format!("user_id = {me_id}")).await;
        }
        assert_eq!(scores, 0, "the user's bot scores go with them, on every log shard");
        let mut logged = 0;
        for url in config.storage.log() {
            logged += common::count_rows(&url, "action_log", &format!("user_id = {me_id}")).await;
        }
        assert_eq!(logged, 0, "no action of the user is left under their id");
        let mut kept = 0;
        for url in config.storage.log() {
            kept += common::count_rows(&url, "action_log", "user_id = 0 AND action = 'summon'").await;
        }
        assert_eq!(kept, 1, "the summon stays, as no one's");
        assert_eq!(game_rows(&config, "inbox", &format!("user_id = {me_id}")).await, 0);
        let done = format!("user_id = {me_id} AND phase = 3");
        assert_eq!(common::count_rows(&common_url, "account_deletions", &done).await, 1, "the record stays");
        assert_eq!(run("account_deletions").await, 0, "nothing left to do");
        server.stop().await;
    }
}

/// How many gift mails wait for `client`, and its friendship points once it claimed all.
async fn claim_gifts(client: &mut Client) -> (usize, u64) {
    let mail = answer!(ok(client, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
    let gifts = mail.iter().filter(|m| m.kind == "gift").count();
    let claimed = answer!(ok(client, Payload::ClaimMail(ClaimMailReq { mail_id: 0, all: true })).await, ClaimMail);
    (gifts, claimed.user.expect("the user").friend_points)
}

on_every_backend! {
    /// The friendship points a player receives from gifts are capped per game day (the
    /// rule `friend_points_daily_cap`, here 15, with gifts of 10): of three friends' gifts
    /// the first pays 10, the second 5, the third nothing (no mail); the next game day pays
    /// again.
    async fn gifts_pay_friendship_points_up_to_the_day_s_cap(config) {
        let gamedata = tempfile::tempdir().expect("a folder");
        let capped = common::sheets::build_with(&[("rules.csv", "friend_points_daily_cap,100", "friend_points_daily_cap,15")]);
        summoner_proto::files::write(gamedata.path(), &capped).expect("the build written");
        let mut config = config;
        config.gamedata.dir = gamedata.path().to_path_buf();
        let (server, store) = start(&config).await;
        let (mut me, me_id) = logged_in(&server, "cap-me").await;
        let mut senders = Vec::new();
        for i in 0..3 {
            let (mut sender, sender_id) = logged_in(&server, &format!("cap-sender-{i}")).await;
            ask(&mut sender, me_id).await;
            senders.push((sender, sender_id));
        }
        settle(&store).await;
        for (_, sender_id) in &senders {
            ok(&mut me, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: *sender_id })).await;
        }
        settle(&store).await;
        for (sender, _) in &mut senders {
            let sent = answer!(ok(sender, Payload::SendGift(SendGiftReq { user_id: me_id })).await, SendGift);
            assert_eq!((sent.sent_to.as_slice(), sent.points), ([me_id].as_slice(), 10));
            settle(&store).await;
        }
        assert_eq!(claim_gifts(&mut me).await, (2, 15), "10, then the 5 left of the day's 15, then nothing");

        // The next game day pays again.
        let data = server.running.catalog.current();
        let now = server.clock.now_ms();
        server.clock.advance_ms(data.reset.next_reset(now) - now + 1_000);
        me.login(summoner_client::device("cap-me")).await.expect("login answers");
        let (sender, _) = &mut senders[0];
        sender.login(summoner_client::device("cap-sender-0")).await.expect("login answers");
        ok(sender, Payload::SendGift(SendGiftReq { user_id: me_id })).await;
        settle(&store).await;
        assert_eq!(claim_gifts(&mut me).await, (1, 25));
        server.stop().await;
    }
}
