use summoner_proto::api::{ErrorCode, FinishBattleReq, SetTeamReq, StartBattleReq};

use super::*;
use crate::game::entities::Stage;

const FIRST: &str = "stage.01.01:normal";

fn start(stage: &str, slot: u32) -> Q {
    Q::StartBattle(StartBattleReq { stage: stage.into(), team_slot: slot })
}

fn finish(token: u64, won: bool, stars: u32, elapsed_ms: u32) -> Q {
    Q::FinishBattle(FinishBattleReq { battle_token: token, won, stars, elapsed_ms })
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
    assert_eq!(p.state.profile.stamina_now(&p.data, p.now), stamina - 4);
    let (gold, gems) = (p.state.profile.gold, p.state.profile.gems);
    let ms = min_ms(&p, FIRST);
    p.now += i64::from(ms);
    let token = started.battle_token;
    let res = answer!(p.ok(finish(token, true, 3, ms)), FinishBattle);
    assert!(res.first_clear);
    assert_eq!(res.unlocked, ["stage.01.01:hard", "stage.01.02:normal"]);
    assert_eq!(res.drops.len(), 1);
    assert_eq!(p.state.profile.gold, gold + res.gold);
    assert_eq!(p.state.profile.gems, gems + res.first_clear_gems);
    assert!(res.team.iter().all(|m| m.exp > 0 || m.level > 1));
    assert_eq!(p.state.owned.stages["stage.01.01:normal"].stars, 3);
    assert!(p.state.owned.battles.is_empty());
    p.refused(finish(token, true, 3, ms), ErrorCode::BattleReplayed);
    assert_eq!(p.logged("suspicious").len(), 1, "a replayed finish is logged for review");
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
fn implausible_finishes_are_refused_and_logged() {
    let mut p = with_team(5);
    let token = answer!(p.ok(start(FIRST, 1)), StartBattle).battle_token;
    let ms = min_ms(&p, FIRST);
    p.refused(finish(token ^ 1, true, 3, ms), ErrorCode::BattleNotFound);
    p.refused(finish(token, true, 4, ms), ErrorCode::BattleStarsInvalid);
    p.refused(finish(token, false, 1, ms), ErrorCode::BattleStarsInvalid);
    p.refused(finish(token, true, 3, ms), ErrorCode::BattleTooFast);
    p.now += i64::from(ms);
    p.refused(finish(token, true, 3, ms - 1), ErrorCode::BattleTooFast);
    assert_eq!(p.logged("suspicious").len(), 5);
    assert!(p.logged("suspicious")[4].params.contains("BATTLE_TOO_FAST"));
    let mut weak = with_team(1);
    let cleared = Stage { key: FIRST.into(), stars: 1, clears: 1, first_cleared_at_ms: 1, best_time_ms: 1 };
    weak.state.owned.stages.insert(FIRST.into(), cleared);
    let second = "stage.01.02:normal";
    let token = answer!(weak.ok(start(second, 1)), StartBattle).battle_token;
    let ms = min_ms(&weak, second);
    weak.now += i64::from(ms);
    weak.refused(finish(token, true, 1, ms), ErrorCode::BattleImplausible);
    // A loss is always plausible, and ends the battle without rewards.
    let gold = weak.state.profile.gold;
    let res = answer!(weak.ok(finish(token, false, 0, 1)), FinishBattle);
    assert!(!res.won && res.drops.is_empty());
    assert_eq!(weak.state.profile.gold, gold);
    assert!(weak.state.owned.battles.is_empty());
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
    let res = answer!(p.ok(finish(token, true, 1, ms)), FinishBattle);
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

#[test]
fn more_stars_than_the_power_allows_are_refused() {
    let mut p = Player::new();
    let id = p.grant("mon.slime.water.1", 1)[0];
    p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: vec![id] }));
    let started = answer!(p.ok(start(FIRST, 1)), StartBattle);
    assert!(started.team_power < started.enemy_power && started.team_power * 100 >= started.enemy_power * 80);
    let ms = min_ms(&p, FIRST);
    p.now += i64::from(ms);
    p.refused(finish(started.battle_token, true, 3, ms), ErrorCode::BattleStarsInvalid);
    assert_eq!(answer!(p.ok(finish(started.battle_token, true, 2, ms)), FinishBattle).stars, 2);
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
    p.ok(finish(first, true, 3, min_ms(&p, FIRST)));
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
