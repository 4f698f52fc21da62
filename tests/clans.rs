//! Clans in the clan database, on every backend: sixty players joining a fifty-seat clan at
//! the same moment end as fifty members, nobody ends in two clans, and a clan runs its whole
//! course (founding with a unique name, requests answered, roles, the lead handed over, the
//! day's check-ins rewarding every member, search, the end), a retried action answered from
//! its record.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, assert_status, call, count_rows, logged_in, ok, rich};
use summoner::config::Config;
use summoner_actors::{Clock, ManualClock};
use summoner_client::{Answer, Client};
use summoner_proto::api::{
    ApproveClanRequestReq, CheckInReq, CreateClanReq, DisbandClanReq, ErrorCode, GetClanReq, JoinClanReq,
    KickClanMemberReq, LeaveClanReq, ListMailReq, PromoteClanMemberReq, RejectClanRequestReq, SearchClansReq,
    TransferClanLeaderReq, request::Payload,
};

/// Sends `payload`, and again with the same seq while the server answers 503 (the clan
/// changed too often meanwhile), as a client does.
async fn persist(client: &mut Client, payload: Payload) -> Answer {
    let mut answer = call(client, payload.clone()).await;
    while answer.status == 503 {
        answer = client.send(client.last_seq(), payload.clone()).await.expect("answered");
    }
    answer
}

async fn start(config: &Config) -> TestServer {
    TestServer::start(config.clone(), Arc::new(ManualClock::new())).await
}

/// Gives `user` gold enough to found a clan (an operator's edit; the actor reads it again).
async fn found(server: &TestServer, name: &str, open: bool) -> (Client, u64, u64) {
    let (mut leader, id) = logged_in(server, &format!("dev-leader-{name}")).await;
    rich(server, id).await;
    let made =
        answer!(ok(&mut leader, Payload::CreateClan(CreateClanReq { name: name.into(), open })).await, CreateClan);
    (leader, id, made.clan.expect("the clan").clan_id)
}

async fn clan_rows(config: &Config, table: &str, condition: &str) -> i64 {
    count_rows(&config.storage.clan(), table, condition).await
}

on_every_backend! {
    async fn sixty_players_racing_for_fifty_seats_end_as_fifty_members_in_one_clan_each(config) {
        let server = start(&config).await;
        let (_leader, _, wolves) = found(&server, "Wolves", true).await;
        let (_other, _, bears) = found(&server, "Bears", true).await;
        let mut players = Vec::new();
        for i in 0..60 {
            players.push(logged_in(&server, &format!("dev-racer-{i}")).await.0);
        }
        // All at once; the first ten also try the other clan at the same moment.
        let joins = players.iter_mut().enumerate().map(|(i, client)| async move {
            let wolves = persist(client, Payload::JoinClan(JoinClanReq { clan_id: wolves })).await;
            let bears = if i < 10 { Some(persist(client, Payload::JoinClan(JoinClanReq { clan_id: bears })).await) } else { None };
            (wolves, bears)
        });
        let answers = futures_util::future::join_all(joins).await;
        let joined = answers.iter().filter(|(w, _)| w.code() == ErrorCode::Ok).count();
        let full = answers.iter().filter(|(w, _)| w.code() == ErrorCode::ClanFull).count();
        assert_eq!((joined, full), (49, 11), "the founder holds the fiftieth seat");
        for (wolves, bears) in &answers {
            if let Some(bears) = bears {
                let expected = if wolves.code() == ErrorCode::Ok { ErrorCode::AlreadyInClan } else { ErrorCode::Ok };
                assert_eq!(bears.code(), expected, "{:?}", bears.response);
            }
        }
        assert_eq!(clan_rows(&config, "clan_members", &format!("clan_id = {wolves}")).await, 50);
        assert_eq!(clan_rows(&config, "clans", &format!("clan_id = {wolves} AND member_count = 50")).await, 1);
        let members = clan_rows(&config, "clan_members", "").await;
        let distinct = count_rows(&config.storage.clan(), "(SELECT DISTINCT user_id FROM clan_members) AS d", "").await;
        assert_eq!(members, distinct, "nobody is in two clans");
        server.stop().await;
    }
}

on_every_backend! {
    async fn a_clan_runs_its_course(config) {
        let server = start(&config).await;
        let (mut leader, leader_id, clan) = found(&server, "Owls", false).await;
        let (mut dup, dup_id) = logged_in(&server, "dev-dup").await;
        rich(&server, dup_id).await;
        let taken = call(&mut dup, Payload::CreateClan(CreateClanReq { name: "Owls".into(), open: true })).await;
        assert_status(&taken, 200, ErrorCode::ClanNameTaken);
        let gold = common::profile(&mut dup).await.gold;
        assert_eq!(gold, 1_000_000, "a refused founding costs nothing");

        // Requests, answered by the leader; the one taken in is told at its next request.
        let (mut a, a_id) = logged_in(&server, "dev-owl-a").await;
        let (mut b, b_id) = logged_in(&server, "dev-owl-b").await;
        let (mut c, c_id) = logged_in(&server, "dev-owl-c").await;
        for client in [&mut a, &mut b, &mut c] {
            let asked = answer!(ok(client, Payload::JoinClan(JoinClanReq { clan_id: clan })).await, JoinClan);
            assert!(!asked.joined);
        }
        let page = answer!(ok(&mut leader, Payload::GetClan(GetClanReq { clan_id: 0 })).await, GetClan);
        assert_eq!(page.requests.len(), 3);
        for user in [a_id, b_id] {
            ok(&mut leader, Payload::ApproveClanRequest(ApproveClanRequestReq { user_id: user })).await;
        }
        ok(&mut leader, Payload::RejectClanRequest(RejectClanRequestReq { user_id: c_id })).await;
        let again = call(&mut leader, Payload::ApproveClanRequest(ApproveClanRequestReq { user_id: c_id })).await;
        assert_status(&again, 200, ErrorCode::NotAClanMember);
        server.running.directory.backend().store().flush().await.expect("delivered");
        let told = call(&mut a, Payload::ListMail(ListMailReq {})).await;
        let kinds: Vec<String> = told.response.extra.iter().filter_map(|e| match &e.kind {
            Some(summoner_proto::api::extra::Kind::Received(r)) => Some(r.kind.clone()),
            _ => None,
        }).collect();
        assert!(kinds.contains(&"clan_approved".to_string()), "{kinds:?}");

        // A retried action is answered from its record, not made twice.
        let promote = Payload::PromoteClanMember(PromoteClanMemberReq { user_id: a_id, officer: true });
        let first = call(&mut leader, promote.clone()).await;
        let replayed = leader.send(leader.last_seq(), promote).await.expect("answered");
        assert_eq!(first.bytes, replayed.bytes);
        // An officer removes a member, not the leader; members remove nobody.
        assert_status(&call(&mut b, Payload::KickClanMember(KickClanMemberReq { user_id: a_id })).await, 200, ErrorCode::ClanRoleRequired);
        assert_status(&call(&mut a, Payload::KickClanMember(KickClanMemberReq { user_id: leader_id })).await, 200, ErrorCode::ClanRoleRequired);
        ok(&mut a, Payload::KickClanMember(KickClanMemberReq { user_id: b_id })).await;
        assert_status(&call(&mut b, Payload::LeaveClan(LeaveClanReq {})).await, 200, ErrorCode::NotInClan);

        // The page: members with their summaries, the leader first.
        let page = answer!(ok(&mut a, Payload::GetClan(GetClanReq { clan_id: clan })).await, GetClan);
        let roles: Vec<(u64, String)> = page.members.iter().map(|m| (m.user_id, m.role.clone())).collect();
        assert_eq!(roles, [(leader_id, "leader".to_string()), (a_id, "officer".to_string())]);
        assert!(page.members.iter().all(|m| m.summary.as_ref().is_some_and(|s| s.user_id == m.user_id)));
        let found = answer!(ok(&mut c, Payload::SearchClans(SearchClansReq { prefix: "Ow".into() })).await, SearchClans);
        assert_eq!(found.clans.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Owls"]);
        let none = answer!(ok(&mut c, Payload::SearchClans(SearchClansReq { prefix: "Ow%".into() })).await, SearchClans);
        assert!(none.clans.is_empty(), "a % is a character, not a wildcard");

        // The lead handed over; the old leader may then leave.
        assert_status(&call(&mut leader, Payload::LeaveClan(LeaveClanReq {})).await, 200, ErrorCode::ClanRoleRequired);
        let handed = answer!(ok(&mut leader, Payload::TransferClanLeader(TransferClanLeaderReq { user_id: a_id })).await, TransferClanLeader);
        assert_eq!(handed.clan.expect("the clan").leader_id, a_id);
        ok(&mut leader, Payload::LeaveClan(LeaveClanReq {})).await;
        ok(&mut a, Payload::DisbandClan(DisbandClanReq {})).await;
        assert_eq!(clan_rows(&config, "clans", "name = 'Owls'").await, 0);
        assert_eq!(clan_rows(&config, "clan_members", &format!("clan_id = {clan}")).await, 0);
        server.stop().await;
    }
}

on_every_backend! {
    /// The check-in that reaches the day's goal rewards every member who was one when the
    /// game day began, not one who joined during it (a hopper from a clan rewarded already);
    /// a member who leaves waits before joining another.
    async fn the_day_s_check_ins_bring_the_day_s_members_the_clan_reward(config) {
        let server = start(&config).await;
        let (leader, _, clan) = found(&server, "Larks", true).await;
        let data = summoner::game::data::GameData::embedded().expect("game data");
        let goal = data.social.clan_checkin_goal;
        let mut members = vec![(leader, "dev-leader-Larks".to_string())];
        for i in 1..goal - 1 {
            let device = format!("dev-lark-{i}");
            let (mut m, _) = logged_in(&server, &device).await;
            ok(&mut m, Payload::JoinClan(JoinClanReq { clan_id: clan })).await;
            members.push((m, device));
        }
        // The next game day: the sessions ran out meanwhile.
        let now = server.clock.now_ms();
        server.clock.advance_ms(data.reset.next_reset(now) - now + 1_000);
        for (m, device) in &mut members {
            m.login(summoner_client::device(device)).await.expect("login answers");
        }
        let (mut hopper, _) = logged_in(&server, "dev-lark-hopper").await;
        ok(&mut hopper, Payload::JoinClan(JoinClanReq { clan_id: clan })).await;
        for (i, (m, _)) in members.iter_mut().enumerate() {
            let checked = answer!(ok(m, Payload::CheckIn(CheckInReq {})).await, CheckIn);
            assert_eq!((checked.clan_checkins, checked.clan_checkin_goal), (i as u32 + 1, goal));
        }
        let reached = answer!(ok(&mut hopper, Payload::CheckIn(CheckInReq {})).await, CheckIn);
        assert_eq!(reached.clan_checkins, goal, "the hopper's check-in counts toward the goal");
        server.running.directory.backend().store().flush().await.expect("delivered");
        for (m, _) in &mut members {
            let mail = answer!(ok(m, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
            assert_eq!(mail.iter().filter(|m| m.kind == "clan_reward").count(), 1, "{mail:?}");
        }
        let mail = answer!(ok(&mut hopper, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
        assert!(mail.iter().all(|m| m.kind != "clan_reward"), "a member since today is not rewarded: {mail:?}");

        // Leaving holds the player back from another clan for the cooldown.
        ok(&mut hopper, Payload::LeaveClan(LeaveClanReq {})).await;
        let again = call(&mut hopper, Payload::JoinClan(JoinClanReq { clan_id: clan })).await;
        assert_status(&again, 200, ErrorCode::ClanCooldown);
        assert_eq!(clan_rows(&config, "clan_members", &format!("clan_id = {clan}")).await, i64::from(goal) - 1);
        server.clock.advance_ms(data.social.clan_leave_cooldown_ms);
        hopper.login(summoner_client::device("dev-lark-hopper")).await.expect("login answers");
        ok(&mut hopper, Payload::JoinClan(JoinClanReq { clan_id: clan })).await;
        server.stop().await;
    }
}
