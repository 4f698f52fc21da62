//! The simulation's properties, its input bounds, and the shipped test vectors
//! (`gamedata/battle_vectors.json`): each must replay to the outcome it records. To write
//! them again after a deliberate change of the rules: `SUMMONER_BLESS_VECTORS=1 cargo test
//! --lib battle_sim` (then say so in the change's notes: clients must follow).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;

fn data() -> GameData {
    GameData::embedded().expect("embedded game data")
}

fn unit_of(template: &str, level: u32) -> Unit {
    unit(&data(), template, level, 0)
}

fn strong_in(data: &GameData) -> impl Fn(&str, &str) -> bool + '_ {
    |a, b| data.strong_against(a, b)
}

/// A unit with the given stats and skill, of element `element`.
fn plain(element: &str, hp: u64, attack: u64, defense: u64, skill: Skill) -> Unit {
    Unit { template: format!("test.{element}"), element: element.into(), hp, attack, defense, skill }
}

const STRIKE: Skill = Skill { cooldown: 2, multiplier_pct: 150, target: TargetRule::Front };

#[test]
fn the_same_seed_team_and_inputs_give_the_same_battle() {
    let d = data();
    let team: Vec<Unit> =
        ["mon.slime.fire.1", "mon.anu.water.3", "mon.leo.tree.3"].iter().map(|t| unit_of(t, 10)).collect();
    let enemies: Vec<Unit> = ["mon.squir.tree.1", "mon.cocomaru.water.1"].iter().map(|t| unit_of(t, 12)).collect();
    let inputs = [Input { turn: 1, slot: 1, target: Some(1) }, Input { turn: 3, slot: 2, target: None }];
    let first = simulate(&team, &enemies, &strong_in(&d), 42, &inputs).expect("valid inputs");
    let again = simulate(&team, &enemies, &strong_in(&d), 42, &inputs).expect("valid inputs");
    assert_eq!(first, again);
    let other = simulate(&team, &enemies, &strong_in(&d), 43, &inputs).expect("valid inputs");
    assert_ne!(first.hits, other.hits, "another seed rolls otherwise");
}

#[test]
fn inputs_past_their_bounds_are_refused() {
    let team = vec![plain("a", 100, 10, 0, STRIKE); 2];
    let enemies = vec![plain("b", 100, 10, 0, STRIKE)];
    let none = |_: &str, _: &str| false;
    let run = |inputs: &[Input]| simulate(&team, &enemies, &none, 1, inputs);
    assert!(matches!(run(&[Input { turn: 0, slot: 0, target: None }]), Err(InputError::Turn { .. })));
    assert!(matches!(run(&[Input { turn: MAX_TURNS + 1, slot: 0, target: None }]), Err(InputError::Turn { .. })));
    assert!(matches!(run(&[Input { turn: 1, slot: 2, target: None }]), Err(InputError::Slot { .. })));
    assert!(matches!(run(&[Input { turn: 1, slot: 0, target: Some(1) }]), Err(InputError::Target { .. })));
    let twice = [Input { turn: 1, slot: 0, target: None }, Input { turn: 1, slot: 0, target: Some(0) }];
    assert!(matches!(run(&twice), Err(InputError::Twice { .. })));
    let many: Vec<Input> =
        (0..=MAX_TURNS * 2).map(|i| Input { turn: i % MAX_TURNS + 1, slot: i % 2, target: None }).collect();
    assert!(matches!(run(&many), Err(InputError::TooMany { .. })));
}

#[test]
fn damage_follows_the_published_formula() {
    // attack 200 × 150 % = 300; strong: × 1.5 = 450; defense 50: × 100/150 = 300; then the
    // variance roll and the critical roll of this seed.
    let none = |_: &str, _: &str| false;
    let strong = |a: &str, b: &str| a == "fire" && b == "tree";
    let attacker = plain("fire", 1_000, 200, 0, Skill { cooldown: 1, multiplier_pct: 150, target: TargetRule::Front });
    let defender = plain("tree", 1_000_000, 1, 50, STRIKE);
    let mut rolls = Rolls::new(9);
    let (variance, crit_roll) = (rolls.roll(VARIANCE_ROLLS), rolls.roll(100));
    let expected = |base: u64| {
        let varied = base * (VARIANCE_MIN_PCT + variance) / 100;
        if crit_roll < CRIT_CHANCE_PCT { varied * CRIT_PCT / 100 } else { varied }
    };
    let outcome =
        simulate(std::slice::from_ref(&attacker), std::slice::from_ref(&defender), &strong, 9, &[]).expect("auto");
    assert_eq!(outcome.hits[0].damage, expected(300));
    let outcome = simulate(&[attacker], &[defender], &none, 9, &[]).expect("auto");
    assert_eq!(outcome.hits[0].damage, expected(200), "no element advantage: 300 × 100/150");
}

#[test]
fn a_manual_battle_uses_skills_only_where_asked_and_an_auto_battle_whenever_ready() {
    let none = |_: &str, _: &str| false;
    let team = vec![plain("a", 10_000, 100, 0, STRIKE)];
    let enemies = vec![plain("b", 10_000, 1, 0, STRIKE)];
    let auto = simulate(&team, &enemies, &none, 5, &[]).expect("auto");
    let used: Vec<u32> = auto.hits.iter().filter(|h| h.side == Side::Team && h.skill).map(|h| h.turn).collect();
    assert_eq!(&used[..3], [1, 3, 5], "every second turn (cooldown 2)");
    let manual = simulate(&team, &enemies, &none, 5, &[Input { turn: 4, slot: 0, target: None }]).expect("valid");
    let used: Vec<u32> = manual.hits.iter().filter(|h| h.side == Side::Team && h.skill).map(|h| h.turn).collect();
    assert_eq!(used, [4]);
}

#[test]
fn stars_count_the_team_standing() {
    let none = |_: &str, _: &str| false;
    let strong = plain("a", 1_000_000, 5_000, 0, STRIKE);
    let frail = plain("a", 1, 1, 0, STRIKE);
    let won =
        |team: Vec<Unit>, enemy: &Unit| simulate(&team, std::slice::from_ref(enemy), &none, 3, &[]).expect("auto");
    let weak_enemy = plain("b", 1_000, 50, 0, STRIKE);
    let all_standing = won(vec![strong.clone(), strong.clone()], &weak_enemy);
    assert_eq!((all_standing.won, all_standing.stars, all_standing.turns), (true, 3, 1));
    // The enemy acts first (the higher attack) and fells the front unit; the strong one then
    // wins: one of two standing is half, 2 stars.
    let quick = plain("b", 1_000, 10_000, 0, STRIKE);
    let half = won(vec![frail.clone(), strong.clone()], &quick);
    assert_eq!((half.won, half.stars), (true, 2), "{:?}", half.hits);
    // Its skill hits everyone: two of three fall, 1 star.
    let sweeping = plain("b", 1_000, 10_000, 0, Skill { cooldown: 1, multiplier_pct: 100, target: TargetRule::All });
    let few = won(vec![frail.clone(), frail.clone(), strong.clone()], &sweeping);
    assert_eq!((few.won, few.stars), (true, 1), "{:?}", few.hits);
    let lost = simulate(&[frail], &[plain("b", 1_000_000, 10_000, 0, STRIKE)], &none, 3, &[]).expect("auto");
    assert!(!lost.won && lost.stars == 0);
}

/// A side with nothing standing from the start (empty, or at 0 hit points: a friend's
/// monster whose template left the game data shows no stats) is no free win.
#[test]
fn nothing_to_fight_is_a_loss() {
    let none = |_: &str, _: &str| false;
    let team = vec![plain("a", 1_000, 100, 0, STRIKE)];
    for enemies in [vec![], vec![plain("b", 0, 0, 0, STRIKE)]] {
        let outcome = simulate(&team, &enemies, &none, 1, &[]).expect("auto");
        assert_eq!((outcome.won, outcome.stars, outcome.turns, outcome.hits.len()), (false, 0, 0, 0));
    }
    let outcome = simulate(&[], &team, &none, 1, &[]).expect("auto");
    assert!(!outcome.won && outcome.turns == 0);
}

/// A line-up keeps the advantages among its elements as they were, whatever the chart is
/// later.
#[test]
fn a_lineup_keeps_the_advantages_of_its_start() {
    let chart = |a: &str, b: &str| a == "fire" && b == "tree" || a == "water" && b == "fire";
    let lineup = Lineup::new(vec![plain("fire", 10, 10, 0, STRIKE)], vec![plain("tree", 10, 10, 0, STRIKE)], &chart);
    assert_eq!(lineup.advantages, [("fire".to_string(), "tree".to_string())], "only the battle's elements");
    assert!(lineup.strong("fire", "tree") && !lineup.strong("tree", "fire") && !lineup.strong("water", "fire"));
    let by_chart = simulate(&lineup.team, &lineup.enemies, &chart, 8, &[]).expect("auto");
    assert_eq!(lineup.simulate(8, &[]).expect("auto"), by_chart);
}

fn arb_unit() -> impl Strategy<Value = Unit> {
    let rules = prop_oneof![Just(TargetRule::Front), Just(TargetRule::Weakest), Just(TargetRule::All)];
    (0..5usize, 1..5_000u64, 1..500u64, 0..300u64, 1..6u32, 10..400u32, rules).prop_map(
        |(element, hp, attack, defense, cooldown, multiplier_pct, target)| {
            let element = ["elem.water", "elem.fire", "elem.tree", "elem.light", "elem.dark"][element];
            plain(element, hp, attack, defense, Skill { cooldown, multiplier_pct, target })
        },
    )
}

proptest! {
    /// Whatever the teams, seed and inputs: hit points never rise, never go below zero, a
    /// hit always deals something, and the battle ends within the turn bound.
    #[test]
    fn every_battle_ends_in_bounds(
        team in prop::collection::vec(arb_unit(), 1..6),
        enemies in prop::collection::vec(arb_unit(), 1..6),
        seed in any::<u64>(),
        asked in prop::collection::vec((1..=MAX_TURNS, 0..5u32), 0..20),
    ) {
        let d = data();
        let mut seen = std::collections::BTreeSet::new();
        let inputs: Vec<Input> = asked
            .into_iter()
            .filter(|(turn, slot)| (*slot as usize) < team.len() && seen.insert((*turn, *slot)))
            .map(|(turn, slot)| Input { turn, slot, target: None })
            .collect();
        let outcome = simulate(&team, &enemies, &strong_in(&d), seed, &inputs).expect("valid inputs");
        prop_assert!(outcome.turns >= 1 && outcome.turns <= MAX_TURNS);
        let mut hp: BTreeMap<(Side, u32), u64> = BTreeMap::new();
        for (side, units) in [(Side::Team, &team), (Side::Enemy, &enemies)] {
            for (slot, u) in units.iter().enumerate() {
                hp.insert((side, slot as u32), u.hp);
            }
        }
        for hit in &outcome.hits {
            prop_assert!(hit.damage >= 1);
            let target = hp.get_mut(&(if hit.side == Side::Team { Side::Enemy } else { Side::Team }, hit.target)).expect("a unit");
            prop_assert!(*target > 0, "a fallen unit is not hit");
            prop_assert_eq!(hit.hp_after, target.saturating_sub(hit.damage));
            *target = hit.hp_after;
        }
        prop_assert!(!outcome.won || outcome.stars >= 1);
    }
}

/// A team with twice the stats wins far more often than the same team against itself.
#[test]
fn a_stronger_team_wins_more_often() {
    let d = data();
    let team: Vec<Unit> =
        ["mon.slime.fire.1", "mon.squir.water.1", "mon.cocomaru.tree.1"].iter().map(|t| unit_of(t, 20)).collect();
    let doubled: Vec<Unit> =
        team.iter().map(|u| Unit { hp: u.hp * 2, attack: u.attack * 2, defense: u.defense * 2, ..u.clone() }).collect();
    let wins = |ours: &[Unit], theirs: &[Unit]| {
        (0..200u64).filter(|seed| simulate(ours, theirs, &strong_in(&d), *seed, &[]).expect("auto").won).count()
    };
    let (even, stronger) = (wins(&team, &team), wins(&doubled, &team));
    assert!(stronger > even + 50 && stronger >= 190, "doubled wins {stronger} of 200, even {even}");
}

/// The shipped test vectors, as clients read them.
#[derive(Debug, Serialize, Deserialize)]
struct Vectors {
    about: String,
    /// Element → the elements it is strong against.
    elements: BTreeMap<String, Vec<String>>,
    vectors: Vec<Vector>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Vector {
    name: String,
    seed: u64,
    team: Vec<Unit>,
    enemies: Vec<Unit>,
    inputs: Vec<Input>,
    outcome: Outcome,
}

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/gamedata/battle_vectors.json");

/// The battles the vectors record: shipped monsters at various levels, auto and manual.
/// A scenario: name, seed, team, enemies, inputs.
type Scenario = (&'static str, u64, Vec<Unit>, Vec<Unit>, Vec<Input>);

fn scenarios() -> Vec<Scenario> {
    let team = |ts: &[(&str, u32)]| ts.iter().map(|(t, l)| unit_of(t, *l)).collect::<Vec<_>>();
    vec![
        (
            "first stage, auto",
            1,
            team(&[("mon.slime.fire.1", 1), ("mon.slime.water.1", 1)]),
            team(&[("mon.slime.tree.1", 1)]),
            vec![],
        ),
        (
            "a five against three, manual",
            20_261_207,
            team(&[
                ("mon.anu.water.3", 15),
                ("mon.leo.fire.3", 15),
                ("mon.lily.tree.3", 14),
                ("mon.slime.dark.1", 20),
                ("mon.squir.light.1", 20),
            ]),
            team(&[("mon.squir.water.1", 22), ("mon.cocomaru.water.1", 22), ("mon.cocomaru.tree.1", 22)]),
            vec![
                Input { turn: 1, slot: 0, target: Some(2) },
                Input { turn: 1, slot: 2, target: None },
                Input { turn: 4, slot: 1, target: Some(0) },
                Input { turn: 5, slot: 0, target: None },
            ],
        ),
        (
            "outmatched, auto",
            7,
            team(&[("mon.slime.fire.1", 1)]),
            team(&[("mon.persephone.dark.5", 40), ("mon.miho.light.5", 40)]),
            vec![],
        ),
        (
            "elements both ways, auto",
            u64::MAX,
            team(&[("mon.seiren.water.4", 30), ("mon.sura.fire.4", 30), ("mon.jackolittle.tree.2", 30)]),
            team(&[("mon.seiren.fire.4", 30), ("mon.sura.tree.4", 30), ("mon.slimeb.water.2", 30)]),
            vec![],
        ),
        (
            "a stalemate, lost after turn 30",
            3,
            vec![plain("elem.light", 1_000_000, 1, 10_000, STRIKE)],
            vec![plain("elem.light", 1_000_000, 1, 10_000, STRIKE)],
            vec![],
        ),
        (
            "inputs on a fallen unit, at a fallen enemy, and for a skill not ready",
            11,
            vec![plain("elem.fire", 10, 5, 0, STRIKE), plain("elem.water", 100_000, 300, 0, STRIKE)],
            vec![plain("elem.tree", 100, 400, 0, STRIKE), plain("elem.tree", 5_000, 200, 0, STRIKE)],
            vec![
                // Slot 1 fells enemy 0 on turn 1 (the enemy fells slot 0 first: it acts first).
                Input { turn: 1, slot: 1, target: Some(0) },
                // Not ready on turn 2 (cooldown 2): an attack.
                Input { turn: 2, slot: 1, target: Some(1) },
                // Enemy 0 has fallen: the skill's rule picks.
                Input { turn: 3, slot: 1, target: Some(0) },
                // Slot 0 has fallen: nothing.
                Input { turn: 3, slot: 0, target: None },
            ],
        ),
        (
            "values past 2^53 (BigInt in TypeScript)",
            1 << 60,
            vec![plain("elem.dark", 1 << 62, 1 << 58, 1 << 20, STRIKE)],
            vec![
                plain("elem.light", 1 << 61, 1 << 57, 1 << 10, STRIKE),
                plain("elem.dark", 1 << 60, 1 << 56, 3, STRIKE),
            ],
            vec![],
        ),
    ]
}

fn write_vectors() -> Vectors {
    let d = data();
    let elements: BTreeMap<String, Vec<String>> = ["elem.water", "elem.fire", "elem.tree", "elem.light", "elem.dark"]
        .iter()
        .map(|e| {
            let strong = ["elem.water", "elem.fire", "elem.tree", "elem.light", "elem.dark"]
                .iter()
                .filter(|o| d.strong_against(e, o))
                .map(|o| (*o).to_owned())
                .collect();
            ((*e).to_owned(), strong)
        })
        .collect();
    let vectors = scenarios()
        .into_iter()
        .map(|(name, seed, team, enemies, inputs)| {
            let outcome = simulate(&team, &enemies, &strong_in(&d), seed, &inputs).expect("valid inputs");
            Vector { name: name.into(), seed, team, enemies, inputs, outcome }
        })
        .collect();
    Vectors {
        about: "Summoner battle test vectors: each battle, run by the rules of docs/BATTLE.md, must give its outcome, hit by hit.".into(),
        elements,
        vectors,
    }
}

#[test]
fn the_shipped_vectors_replay_to_their_outcomes() {
    if std::env::var("SUMMONER_BLESS_VECTORS").is_ok_and(|v| v == "1") {
        let json = serde_json::to_string_pretty(&write_vectors()).expect("vectors encode");
        std::fs::write(VECTORS, json + "\n").expect("the vectors are written");
    }
    let text = std::fs::read_to_string(VECTORS).expect("gamedata/battle_vectors.json is shipped");
    let shipped: Vectors = serde_json::from_str(&text).expect("the vectors read");
    let names: Vec<&str> = shipped.vectors.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, scenarios().iter().map(|s| s.0).collect::<Vec<_>>(), "every scenario is shipped");
    let strong = |a: &str, b: &str| shipped.elements.get(a).is_some_and(|s| s.iter().any(|x| x == b));
    for v in &shipped.vectors {
        let outcome = simulate(&v.team, &v.enemies, &strong, v.seed, &v.inputs).expect("valid inputs");
        assert_eq!(outcome, v.outcome, "vector {:?}", v.name);
    }
    assert!(shipped.vectors.iter().any(|v| v.outcome.won) && shipped.vectors.iter().any(|v| !v.outcome.won));
    assert!(shipped.vectors.iter().any(|v| !v.inputs.is_empty()));
    for stars in 1..=3 {
        assert!(shipped.vectors.iter().any(|v| v.outcome.stars == stars), "a win with {stars} stars");
    }
    assert!(shipped.vectors.iter().any(|v| !v.outcome.won && v.outcome.turns == MAX_TURNS), "a stalemate");
}
