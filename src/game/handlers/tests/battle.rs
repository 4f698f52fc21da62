use summoner_proto::api::{BattleInput, ErrorCode, FinishBattleReq, SetTeamReq, StartBattleReq};

use super::*;
use crate::game::battle_sim::{self, Input, Lineup, Outcome};
use crate::game::entities::Stage;

const FIRST: &str = "stage.01.01:normal";

fn start(stage: &str, slot: u32) -> Q {
    Q::StartBattle(StartBattleReq { stage: stage.into(), team_slot: slot })
}

/// A finish that claims a result (`claims_result`): the server compares it with its own.
fn finish(token: u64, won: bool, stars: u32, elapsed_ms: u32) -> Q {
    Q::FinishBattle(FinishBattleReq {
        battle_token: token,
        won,
        stars,
        elapsed_ms,
        claims_result: true,
        ..Default::default()
    })
}

/// An auto-battle's finish that claims nothing: the server's result is the answer.
fn auto(token: u64) -> Q {
    Q::FinishBattle(FinishBattleReq { battle_token: token, elapsed_ms: 1, ..Default::default() })
}

/// The simulation's result of the open battle `token` with `inputs`, from the line-up it
/// keeps (what a client replaying the battle computes).
fn simulated(p: &Player, token: u64, inputs: &[Input]) -> Outcome {
    let battle = p.state.owned.battles.get(&token).expect("the open battle");
    let lineup: Lineup = serde_json::from_str(&battle.lineup).expect("a line-up");
    lineup.simulate(token, inputs).expect("valid inputs")
}

/// A player with a team of `size` common monsters in slot 1.
fn with_team(size: usize) -> Player {
    let mut p = Player::new();
    let ids = p.grant("mon.slime.fire.1", size as u32);
    p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: ids }));
    p
}

fn min_ms(p: &Player, stage: &str) -> u32 {
    p.data.stage(stage).expect("a stage").level.min_clear_secs * 1000
}

#[test]
fn a_won_battle_pays_unlocks_and_is_settled_once() {
    let mut p = with_team(5);
    let stamina = p.state.profile.stamina_now(&p.data, p.now);
    let started = answer!(p.ok(start(FIRST, 1)), StartBattle);
    assert_eq!(started.enemies.len(), p.data.stage(FIRST).expect("a stage").level.enemies.len());
    assert!(started.team_power > 0 && started.enemy_power > 0);
    assert_eq!(started.battle_seed, started.battle_token, "the token seeds the battle");
    assert_eq!(p.state.profile.stamina_now(&p.data, p.now), stamina - 4);
    let (gold, gems) = (p.state.profile.gold, p.state.profile.gems);
    let token = started.battle_token;
    // The line-up kept: the team's units as the game data makes them, the stage's enemies at
    // its enemy level, and the element advantages among them.
    let lineup: Lineup = serde_json::from_str(&p.state.owned.battles[&token].lineup).expect("a line-up");
    let team = p.state.owned.teams[&1].members.iter().map(|id| &p.state.owned.monsters[id]);
    assert_eq!(lineup.team, battle_sim::units(&p.data, team));
    let level = p.data.stage(FIRST).expect("a stage").level.clone();
    let enemies: Vec<_> = level.enemies.iter().map(|e| battle_sim::unit(&p.data, e, level.enemy_level, 0)).collect();
    assert_eq!(lineup.enemies, enemies);
    assert!(lineup.team.iter().all(|u| u.hp > 0 && u.attack > 0) && lineup.enemies.iter().all(|u| u.hp > 0));
    // Fire slimes against a tree slime: fire is strong against tree, and nothing else here.
    assert_eq!(lineup.advantages, [("elem.fire".to_string(), "elem.tree".to_string())]);
    let outcome = simulated(&p, token, &[]);
    assert!(outcome.won, "five against the first stage win");
    p.now += i64::from(min_ms(&p, FIRST));
    let res = answer!(p.ok(auto(token)), FinishBattle);
    assert_eq!((res.won, res.stars, res.turns), (true, outcome.stars, outcome.turns));
    assert!(res.first_clear);
    assert_eq!(res.unlocked, ["stage.01.01:hard", "stage.01.02:normal"]);
    assert_eq!(res.drops.len(), 1);
    assert_eq!(p.state.profile.gold, gold + res.gold);
    assert_eq!(p.state.profile.gems, gems + res.first_clear_gems);
    assert!(res.team.iter().all(|m| m.exp > 0 || m.level > 1));
    let cleared = &p.state.owned.stages["stage.01.01:normal"];
    assert_eq!(cleared.stars, outcome.stars);
    assert_eq!(cleared.best_time_ms, i64::from(min_ms(&p, FIRST)), "the time as the server saw it");
    assert!(p.state.owned.battles.is_empty());
    p.refused(auto(token), ErrorCode::BattleReplayed);
    assert_eq!(p.logged("suspicious").len(), 1, "a replayed finish is logged for review");
    let logged = p.logged("battle_finish");
    assert!(logged[0].params.contains("inputs=[]") && logged[0].result.contains(&format!("turns={}", outcome.turns)));
    // The next stage is open now; a second win is no first clear.
    p.ok(start("stage.01.02:normal", 1));
}

#[test]
fn start_refusals() {
    let mut p = with_team(5);
    p.refused(start("stage.99.01:normal", 1), ErrorCode::UnknownStage);
    p.refused(start("stage.01.01:hard", 1), ErrorCode::StageLocked);
    p.refused(start(FIRST, 2), ErrorCode::InvalidTeam);
    p.ok(start(FIRST, 1));
    p.refused(start(FIRST, 1), ErrorCode::BattleInProgress);
    p.now += p.data.battle.expire_ms;
    let mut tired = with_team(1);
    tired.state.profile.stamina = 0;
    tired.state.profile.stamina_at_ms = tired.now;
    tired.refused(start(FIRST, 1), ErrorCode::NotEnoughStamina);
    // An expired battle does not block a new one, and is removed.
    let again = answer!(p.ok(start(FIRST, 1)), StartBattle);
    assert_eq!(p.state.owned.battles.len(), 1);
    assert!(p.state.owned.battles.contains_key(&again.battle_token));
    // A full box: a drop would not fit, so no battle starts.
    let mut full = with_team(5);
    let limit = full.data.box_rules.limit;
    while full.state.owned.monsters.len() < limit {
        let n = (limit - full.state.owned.monsters.len()).min(50) as u32;
        full.grant("mon.slime.water.1", n);
    }
    full.refused(start(FIRST, 1), ErrorCode::BoxFull);
}

#[test]
fn a_battle_whose_stage_left_the_game_data_cannot_be_finished() {
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    let battle = p.state.owned.battles.get_mut(&token).expect("the open battle");
    battle.stage = "stage.77.01:normal".into();
    let ms = min_ms(&p, FIRST);
    p.now += i64::from(ms);
    p.refused(finish(token, true, 3, ms), ErrorCode::UnknownStage);
}

#[test]
fn the_server_s_result_is_paid_and_a_claim_that_differs_is_refused() {
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    let ms = min_ms(&p, FIRST);
    let outcome = simulated(&p, token, &[]);
    assert!(outcome.won);
    p.refused(finish(token ^ 1, true, outcome.stars, ms), ErrorCode::BattleNotFound);
    p.refused(finish(token, true, outcome.stars, ms), ErrorCode::BattleTooFast);
    p.refused(auto(token), ErrorCode::BattleTooFast);
    p.now += i64::from(ms);
    let other_stars = if outcome.stars == 3 { 2 } else { 3 };
    p.refused(finish(token, true, other_stars, ms), ErrorCode::BattleResultMismatch);
    p.refused(finish(token, false, 0, ms), ErrorCode::BattleResultMismatch);
    let suspicious = p.logged("suspicious");
    assert_eq!(suspicious.len(), 5);
    assert!(suspicious[4].params.contains("BATTLE_RESULT_MISMATCH"));
    assert_eq!(p.state.owned.battles.len(), 1, "a refused finish leaves the battle open");
    // The client's own time is not the judge: the server's is.
    let res = answer!(p.ok(finish(token, true, outcome.stars, 1)), FinishBattle);
    assert_eq!((res.won, res.stars, res.turns), (true, outcome.stars, outcome.turns));
}

#[test]
fn a_team_the_simulation_beats_is_paid_nothing_whatever_it_claims() {
    let mut weak = with_team(1);
    let cleared = Stage { key: FIRST.into(), stars: 1, clears: 1, first_cleared_at_ms: 1, best_time_ms: 1 };
    weak.state.owned.stages.insert(FIRST.into(), cleared);
    let second = "stage.01.02:normal";
    let token = answer!(weak.ok(start(second, 1)), StartBattle).battle_token;
    let outcome = simulated(&weak, token, &[]);
    assert!(!outcome.won, "one slime against the second stage loses");
    weak.now += i64::from(min_ms(&weak, second));
    weak.refused(finish(token, true, 1, 60_000), ErrorCode::BattleResultMismatch);
    let gold = weak.state.profile.gold;
    // A loss needs no time: it ends the battle without rewards.
    let res = answer!(weak.ok(auto(token)), FinishBattle);
    assert!(!res.won && res.stars == 0 && res.drops.is_empty());
    assert_eq!(res.turns, outcome.turns);
    assert_eq!(weak.state.profile.gold, gold);
    assert!(weak.state.owned.battles.is_empty());
    assert!(!weak.state.owned.stages.contains_key(second));
}

#[test]
fn inputs_past_their_bounds_are_refused_and_valid_inputs_are_the_player_s_play() {
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    p.now += i64::from(min_ms(&p, FIRST));
    let input = |turn, slot, target| BattleInput { turn, slot, target };
    let with = |inputs: Vec<BattleInput>| {
        Q::FinishBattle(FinishBattleReq { battle_token: token, inputs, ..Default::default() })
    };
    let too_many = (1..=battle_sim::MAX_TURNS).flat_map(|turn| (0..6).map(move |slot| input(turn, slot % 5, None)));
    for bad in [
        vec![input(0, 0, None)],
        vec![input(battle_sim::MAX_TURNS + 1, 0, None)],
        vec![input(1, 5, None)],
        vec![input(1, 0, Some(99))],
        vec![input(1, 0, None), input(1, 0, None)],
        too_many.collect(),
    ] {
        p.refused(with(bad), ErrorCode::BattleInputsInvalid);
    }
    assert!(p.logged("suspicious").is_empty(), "bad inputs are a client's mistake, not a cheat");
    assert_eq!(p.state.owned.battles.len(), 1, "and leave the battle open");
    let inputs = [Input { turn: 1, slot: 0, target: Some(0) }, Input { turn: 2, slot: 4, target: None }];
    let outcome = simulated(&p, token, &inputs);
    let sent = inputs.iter().map(|i| input(i.turn, i.slot, i.target)).collect();
    let res = answer!(p.ok(with(sent)), FinishBattle);
    assert_eq!((res.won, res.stars, res.turns), (outcome.won, outcome.stars, outcome.turns));
    let logged = &p.logged("battle_finish")[0];
    assert!(
        logged.params.contains(r#"inputs=[{"turn":1,"slot":0,"target":0},{"turn":2,"slot":4}]"#),
        "{}",
        logged.params
    );
}

/// A battle opened before battles were simulated keeps no line-up: its finish is judged by
/// the plausibility rule it started under.
#[test]
fn a_battle_from_before_the_simulation_is_judged_by_plausibility() {
    let legacy = |p: &mut Player, token: u64| p.state.owned.battles.get_mut(&token).expect("open").lineup.clear();
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    legacy(&mut p, token);
    let ms = min_ms(&p, FIRST);
    p.refused(finish(token, true, 4, ms), ErrorCode::BattleStarsInvalid);
    p.refused(finish(token, false, 1, ms), ErrorCode::BattleStarsInvalid);
    p.refused(finish(token, true, 3, ms), ErrorCode::BattleTooFast);
    p.now += i64::from(ms);
    p.refused(finish(token, true, 3, ms - 1), ErrorCode::BattleTooFast);
    assert_eq!(p.logged("suspicious").len(), 4);
    assert_eq!(answer!(p.ok(finish(token, true, 3, ms)), FinishBattle).turns, 0, "no simulation ran");

    let mut weak = with_team(1);
    let cleared = Stage { key: FIRST.into(), stars: 1, clears: 1, first_cleared_at_ms: 1, best_time_ms: 1 };
    weak.state.owned.stages.insert(FIRST.into(), cleared);
    let second = "stage.01.02:normal";
    let token = answer!(weak.ok(start(second, 1)), StartBattle).battle_token;
    legacy(&mut weak, token);
    let ms = min_ms(&weak, second);
    weak.now += i64::from(ms);
    weak.refused(finish(token, true, 1, ms), ErrorCode::BattleImplausible);
    let gold = weak.state.profile.gold;
    let res = answer!(weak.ok(finish(token, false, 0, 1)), FinishBattle);
    assert!(!res.won && res.drops.is_empty());
    assert_eq!(weak.state.profile.gold, gold);

    // More stars than the power allows.
    let mut p = Player::new();
    let id = p.grant("mon.slime.water.1", 1)[0];
    p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: vec![id] }));
    let started = answer!(p.ok(start(FIRST, 1)), StartBattle);
    legacy(&mut p, started.battle_token);
    assert!(started.team_power < started.enemy_power && started.team_power * 100 >= started.enemy_power * 80);
    let ms = min_ms(&p, FIRST);
    p.now += i64::from(ms);
    p.refused(finish(started.battle_token, true, 3, ms), ErrorCode::BattleStarsInvalid);
    assert_eq!(answer!(p.ok(finish(started.battle_token, true, 2, ms)), FinishBattle).stars, 2);
}

#[test]
fn an_expired_battle_cannot_be_finished() {
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    p.now += p.data.battle.expire_ms;
    p.refused(finish(token, true, 3, min_ms(&p, FIRST)), ErrorCode::BattleExpired);
    // Dropped by the next start, its late finish is still an expiry, not a forgery.
    p.ok(start(FIRST, 1));
    p.refused(finish(token, true, 3, min_ms(&p, FIRST)), ErrorCode::BattleExpired);
    assert!(p.logged("suspicious").is_empty());
}

#[test]
fn the_monsters_that_started_a_battle_earn_its_experience_and_stay_until_it_ends() {
    let mut p = with_team(5);
    let fighters: Vec<u64> = p.state.owned.teams[&1].members.clone();
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    let others = p.grant("mon.slime.water.1", 5);
    p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: others.clone() }));
    let sell = Q::SellMonster(summoner_proto::api::SellMonsterReq { monster_ids: vec![fighters[0]] });
    p.refused(sell, ErrorCode::MonsterInTeam);
    let ms = min_ms(&p, FIRST);
    p.now += i64::from(ms);
    let res = answer!(p.ok(auto(token)), FinishBattle);
    assert!(res.won);
    assert_eq!(res.team.iter().map(|m| m.id).collect::<Vec<_>>(), fighters, "those that fought earn");
    assert!(others.iter().all(|id| p.state.owned.monsters[id].exp == 0 && p.state.owned.monsters[id].level == 1));
}

#[test]
fn stars_are_bounded_by_the_team_s_power() {
    assert_eq!(crate::game::handlers::battle::max_stars(100, 100), 3);
    assert_eq!(crate::game::handlers::battle::max_stars(80, 100), 2);
    assert_eq!(crate::game::handlers::battle::max_stars(79, 100), 1);
}

#[test]
fn suspicious_requests_are_logged_up_to_a_daily_bound_then_refused_plainly() {
    let mut p = with_team(1);
    let bound = crate::game::dispatch::SUSPICIOUS_LOGS_PER_DAY as usize;
    for _ in 0..bound + 5 {
        p.refused(finish(12_345, true, 1, 1), ErrorCode::BattleNotFound);
    }
    assert_eq!(p.logged("suspicious").len(), bound);
    assert_eq!(p.last_rows, 0, "past the bound a forged finish writes nothing");
    p.now = p.data.reset.next_reset(p.now);
    p.refused(finish(12_345, true, 1, 1), ErrorCode::BattleNotFound);
    assert_eq!(p.logged("suspicious").len(), bound + 1, "a new day logs again");
}

/// A battle token is shown to the client, so it comes from the user's token stream, never the
/// gameplay stream: starting a battle moves the gameplay stream not at all, and tokens differ
/// battle after battle. A user with a 256-bit key draws from that key's stream; a user from
/// before keys keeps the stream of their 63-bit seed.
#[test]
fn battle_tokens_come_from_a_stream_apart_from_the_draws() {
    use rand::{Rng, SeedableRng};

    use crate::game::dispatch::{TOKEN_STREAM, rng_for, side_stream};

    let mut p = with_team(3);
    p.state.profile = p.state.profile.clone().with_rng_key([7; 32]);
    let position = p.state.profile.rng_word_pos;
    let first = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    assert_eq!(p.state.profile.rng_word_pos, position, "a token costs the gameplay stream nothing");
    let expected = (side_stream(&p.state.profile, TOKEN_STREAM, 0).next_u64() >> 1).max(1);
    assert_eq!(first, expected);
    p.now += i64::from(min_ms(&p, FIRST));
    p.ok(auto(first));
    let second = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    assert_eq!(second, (side_stream(&p.state.profile, TOKEN_STREAM, 2).next_u64() >> 1).max(1));
    assert_ne!(first, second);

    // The key decides the stream; without one, the 63-bit seed does, as before keys.
    let keyed = rng_for(&p.state.profile).next_u64();
    let mut legacy = p.state.profile.clone();
    legacy.rng_key = String::new();
    let mut by_seed = rand_chacha::ChaCha20Rng::seed_from_u64(legacy.rng_seed);
    by_seed.set_word_pos(u128::from(legacy.rng_word_pos));
    assert_eq!(rng_for(&legacy).next_u64(), by_seed.next_u64());
    assert_ne!(keyed, rng_for(&legacy).next_u64());
}
