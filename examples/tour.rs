//! The five-minute tour: register a guest account, log in, read and change the profile,
//! explore, retry a request to see idempotency at work, then play: summon a monster, put it
//! in a team, win the first stage, check in, claim a quest and the check-in mail.
//!
//! Start a server first (`cargo run --release`), then: `cargo run --example tour`
//! (set `SUMMONER_URL` to reach another address).

use std::time::Duration;
use summoner_client::{Client, device};

use summoner_proto::api::{
    CheckInReq, ClaimMailReq, ClaimQuestReq, ExploreReq, FinishBattleReq, GetUserReq, SetNicknameReq, SetTeamReq,
    StartBattleReq, SummonReq, extra, request::Payload, response,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SUMMONER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let device_id = format!("tour-{}", std::process::id());
    let mut client = Client::new(&url);

    let registered = client.register(device(&device_id)).await?;
    println!("Register {device_id}: HTTP {} {:?}", registered.status, registered.response.payload);

    let login = client.login(device(&device_id)).await?;
    if let Some(response::Payload::Login(l)) = &login.response.payload {
        println!(
            "Login: a {}-byte session token, valid {} s after the last request",
            l.session_token.len(),
            l.ttl_secs
        );
    }

    let renamed = client.call(Payload::SetNickname(SetNicknameReq { nickname: "Tourist".into() })).await?;
    println!("SetNickname (seq {}): {:?}", renamed.response.seq, renamed.code());

    let explored = client.call(Payload::Explore(ExploreReq {})).await?;
    if let Some(response::Payload::Explore(e)) = &explored.response.payload {
        println!("Explore (seq {}): +{} gold, +{} exp", explored.response.seq, e.gold_gained, e.exp_gained);
    }

    // The network "lost" that answer: the client sends the same seq again.
    let retried = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await?;
    println!("Retry of seq {}: identical bytes: {}", client.last_seq(), retried.bytes == explored.bytes);
    let again = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await?;
    println!("Second retry: identical bytes: {}", again.bytes == explored.bytes);

    play(&mut client).await?;

    let user = client.call(Payload::GetUser(GetUserReq {})).await?;
    if let Some(response::Payload::GetUser(u)) = user.response.payload {
        let u = u.user.unwrap_or_default();
        println!(
            "GetUser: {} (id {}), level {}, {} gold, stamina {}/{}",
            u.nickname, u.user_id, u.level, u.gold, u.stamina, u.stamina_max
        );
    }
    Ok(())
}

/// Summon, team, battle, check-in, quest, mail.
async fn play(client: &mut Client) -> Result<(), Box<dyn std::error::Error>> {
    let summoned = client.call(Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await?;
    let Some(response::Payload::Summon(s)) = summoned.response.payload else {
        return Err(format!("Summon refused: {:?} {}", summoned.code(), summoned.response.message).into());
    };
    let monster = s.monsters[0].monster.clone().unwrap_or_default();
    println!("Summon: {} (rarity {}, power {}), id {}", monster.template, monster.rarity, monster.power, monster.id);

    let team = client.call(Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: vec![monster.id] })).await?;
    println!("SetTeam 1: {:?}", team.code());

    let stage = "stage.01.01:normal";
    let started = client.call(Payload::StartBattle(StartBattleReq { stage: stage.into(), team_slot: 1 })).await?;
    let Some(response::Payload::StartBattle(b)) = started.response.payload else {
        return Err(format!("StartBattle refused: {:?} {}", started.code(), started.response.message).into());
    };
    println!("StartBattle {stage}: team power {} against {}; playing ...", b.team_power, b.enemy_power);
    // The server refuses a win sooner than the stage can be played.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    // Auto-battle: no inputs, no claimed result; the server plays the battle from its seed.
    let finish = FinishBattleReq { battle_token: b.battle_token, elapsed_ms: 3_500, ..Default::default() };
    let finished = client.call(Payload::FinishBattle(finish.clone())).await?;
    if let Some(response::Payload::FinishBattle(f)) = &finished.response.payload {
        let drops: Vec<&str> = f.drops.iter().map(|d| d.template.as_str()).collect();
        println!(
            "FinishBattle: won {} ({} stars in {} turns), +{} gold, first clear {} (+{} gems), drops {drops:?}, unlocked {:?}",
            f.won, f.stars, f.turns, f.gold, f.first_clear, f.first_clear_gems, f.unlocked
        );
    }
    for e in &finished.response.extra {
        if let Some(extra::Kind::QuestProgress(q)) = &e.kind {
            println!(
                "  quest {}: {}/{}{}",
                q.quest,
                q.progress,
                q.target,
                if q.completed { " (completed)" } else { "" }
            );
        }
    }
    let replayed = client.call(Payload::FinishBattle(finish)).await?;
    println!("The same finish again: {:?}", replayed.code());

    let checked = client.call(Payload::CheckIn(CheckInReq {})).await?;
    let Some(response::Payload::CheckIn(c)) = checked.response.payload else {
        return Err(format!("CheckIn refused: {:?}", checked.code()).into());
    };
    println!("CheckIn: day {} of the month, its reward is in mail {}", c.day, c.mail_id);
    let claimed = client.call(Payload::ClaimQuest(ClaimQuestReq { quest: "quest.daily.checkin".into() })).await?;
    if let Some(response::Payload::ClaimQuest(q)) = &claimed.response.payload {
        let reward = q.reward.clone().unwrap_or_default();
        println!("ClaimQuest quest.daily.checkin: +{} {}", reward.amount, reward.what);
    }
    let mail = client.call(Payload::ClaimMail(ClaimMailReq { mail_id: c.mail_id, all: false })).await?;
    if let Some(response::Payload::ClaimMail(m)) = &mail.response.payload {
        let got: Vec<String> = m.rewards.iter().map(|r| format!("+{} {}", r.amount, r.what)).collect();
        println!("ClaimMail {}: {}", c.mail_id, got.join(", "));
    }
    Ok(())
}
