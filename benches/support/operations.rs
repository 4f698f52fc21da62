//! Every game operation through the dispatcher for a user holding 300 monsters: the draft,
//! the handler, the row writes and the encoded answer (no actor, no storage). Each iteration
//! starts from the same state, so each measures the same work.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use prost::Message;
use summoner::game::battle_sim::{self, Lineup};
use summoner::game::data::GameData;
use summoner::game::dispatch::{LOGIN_COUNTER, dispatch};
use summoner::game::entities::{Battle, Counter, Mail, Monster, Quest, Team};
use summoner::game::profile::Profile;
use summoner::game::starter::STARTER_COUNTER;
use summoner::game::state::UserState;
use summoner_proto::api::{
    BuyItemReq, CheckInReq, ClaimMailReq, ClaimQuestReq, EnhanceMonsterReq, EvolveMonsterReq, FinishBattleReq,
    GetSummonRatesReq, ListMailReq, ListMonstersReq, ListQuestsReq, LockMonsterReq, MailAttachments, Request, Reward,
    SellMonsterReq, SetTeamReq, StartBattleReq, SummonReq, request::Payload,
};

const NOW: i64 = 1_800_000_000_000;
const OWNED: u64 = 300;
const FIRST: u64 = 1_000_000;
const TOKEN: u64 = 77;
const LONG_STAGE: &str = "stage.03.10:hell";

/// A user with 300 monsters (the first five in team 1, the sixth at its level cap), plenty
/// of gold, gems and evolution stones, a completed quest, a mail, and (`in_battle`) an open
/// battle old enough to finish.
fn state(data: &GameData, in_battle: bool) -> UserState {
    let mut profile = Profile::new_user(data, 7, 1 << 30..(1 << 30) + 256, NOW - 86_400_000);
    (profile.user_id, profile.gold, profile.gems) = (9, 1 << 40, 1 << 40);
    let mut user = UserState::new(profile);
    let owned = &mut user.owned;
    for i in 0..OWNED {
        let level = if i == 5 { 20 } else { 1 };
        let m = Monster {
            id: FIRST + i,
            template: "mon.slime.fire.1".into(),
            level,
            exp: 0,
            grade: 0,
            locked: false,
            acquired_at_ms: 0,
        };
        owned.monsters.insert(m.id, m);
    }
    owned.teams.insert(1, Team { slot: 1, members: (FIRST..FIRST + 5).collect() });
    // The starter box was given and today's login recorded: each operation measures itself.
    let counters = [("item.evolve_stone", 1_000, 0), (LOGIN_COUNTER, 1, i64::MAX), (STARTER_COUNTER, 1, 0)];
    for (name, value, resets_at_ms) in counters {
        owned.counters.insert(name.into(), Counter { name: name.into(), value, resets_at_ms });
    }
    let done = Quest {
        id: "quest.ach.explore100".into(),
        progress: 100,
        completed_at_ms: 1,
        claimed_at_ms: 0,
        resets_at_ms: 0,
    };
    owned.quests.insert(done.id.clone(), done);
    let rewards = vec![Reward { what: "gold".into(), amount: 100 }];
    let mail = Mail {
        id: 5,
        kind: "grant".into(),
        sender_id: 0,
        title: "t".into(),
        body: String::new(),
        attachments: MailAttachments { rewards }.encode_to_vec(),
        created_at_ms: NOW,
        expires_at_ms: NOW + 86_400_000,
        read_at_ms: 0,
        claimed_at_ms: 0,
    };
    owned.mail.insert(mail.id, mail);
    if in_battle {
        // A long battle to simulate: five water monsters at level 40 against the last stage's
        // enemies, five of them at its enemy level (won on turn 28 from this token, 295 hits).
        let stage = data.stage(LONG_STAGE).expect("the last stage");
        let team = (0..5).map(|_| battle_sim::unit(data, "mon.anu.water.3", 40, 0)).collect();
        let level = stage.level.enemy_level;
        let enemies = stage.level.enemies.iter().cycle().take(5).map(|e| battle_sim::unit(data, e, level, 0)).collect();
        let lineup = Lineup::new(team, enemies, &|a, b| data.strong_against(a, b));
        let lineup = serde_json::to_string(&lineup).expect("a line-up encodes");
        let battle = Battle {
            token: TOKEN,
            stage: LONG_STAGE.into(),
            team_slot: 1,
            members: (FIRST..FIRST + 5).collect(),
            power: 1_000,
            enemy_power: 237,
            started_at_ms: NOW - 120_000,
            expires_at_ms: NOW + 60_000,
            lineup,
        };
        owned.battles.insert(TOKEN, battle);
    }
    user
}

pub fn bench(c: &mut Criterion) {
    let data = GameData::embedded().expect("embedded game data loads");
    let (idle, fighting) = (state(&data, false), state(&data, true));
    let ops: Vec<(&str, &UserState, Payload)> = vec![
        ("Summon x1", &idle, Payload::Summon(SummonReq { pool: "pool.premium".into(), count: 1 })),
        ("Summon x10", &idle, Payload::Summon(SummonReq { pool: "pool.premium".into(), count: 10 })),
        ("GetSummonRates", &idle, Payload::GetSummonRates(GetSummonRatesReq {})),
        ("ListMonsters (50)", &idle, Payload::ListMonsters(ListMonstersReq { offset: 100, limit: 50 })),
        (
            "EnhanceMonster (2 fed)",
            &idle,
            Payload::EnhanceMonster(EnhanceMonsterReq { target: FIRST, food: vec![FIRST + 10, FIRST + 11] }),
        ),
        ("EvolveMonster", &idle, Payload::EvolveMonster(EvolveMonsterReq { monster_id: FIRST + 5 })),
        ("LockMonster", &idle, Payload::LockMonster(LockMonsterReq { monster_id: FIRST + 20, locked: true })),
        (
            "SellMonster (3)",
            &idle,
            Payload::SellMonster(SellMonsterReq { monster_ids: vec![FIRST + 30, FIRST + 31, FIRST + 32] }),
        ),
        (
            "SetTeam (5)",
            &idle,
            Payload::SetTeam(SetTeamReq { slot: 2, monster_ids: (FIRST + 40..FIRST + 45).collect() }),
        ),
        (
            "StartBattle",
            &idle,
            Payload::StartBattle(StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 }),
        ),
        (
            "FinishBattle (5 against 5, 28 turns)",
            &fighting,
            Payload::FinishBattle(FinishBattleReq { battle_token: TOKEN, elapsed_ms: 30_000, ..Default::default() }),
        ),
        ("ListQuests", &idle, Payload::ListQuests(ListQuestsReq {})),
        ("ClaimQuest (by mail)", &idle, Payload::ClaimQuest(ClaimQuestReq { quest: "quest.ach.explore100".into() })),
        ("BuyItem", &idle, Payload::BuyItem(BuyItemReq { item: "shop.evolve_stone".into() })),
        ("CheckIn", &idle, Payload::CheckIn(CheckInReq {})),
        ("ListMail", &idle, Payload::ListMail(ListMailReq {})),
        ("ClaimMail", &idle, Payload::ClaimMail(ClaimMailReq { mail_id: 5, all: false })),
    ];
    let mut group = c.benchmark_group("dispatch_300_monsters");
    group.throughput(Throughput::Elements(1));
    for (name, user, payload) in ops {
        let request = Request { seq: 1, session_token: Vec::new(), payload: Some(payload) };
        let check = dispatch(&data, user, &request, None, NOW, false, &|| 1 << 40..(1 << 40) + 256);
        assert_eq!(check.response.error, 0, "{name} is refused: {}", check.response.message);
        if let Some(summoner_proto::api::response::Payload::FinishBattle(f)) = &check.response.payload {
            assert!(f.won && f.turns == 28, "{name}: won {} in {} turns", f.won, f.turns);
            let kept = fighting.owned.battles[&TOKEN].lineup.as_str();
            let lineup: Lineup = serde_json::from_str(kept).expect("the line-up reads");
            assert_eq!(lineup.simulate(TOKEN, &[]).expect("auto").hits.len(), 295, "{name}");
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                let handled = dispatch(&data, user, &request, None, NOW, false, &|| 1 << 40..(1 << 40) + 256);
                black_box(handled.response.encode_to_vec());
                handled.change
            })
        });
    }
    group.finish();
}
