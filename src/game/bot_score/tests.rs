//! Each feature on hand-made activity: machine-regular timing, a replayed day and a closed
//! ring of accounts score high; heavy-tailed human-like timing, days that differ and an open
//! circle of friends score low.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn act(at_ms: i64, action: &str) -> Act {
    Act { at_ms, action: action.into(), partner: None }
}

/// A script: explore, summon, battle, every 30 s from `start`, `n` times.
fn macro_day(start: i64, n: usize) -> Vec<Act> {
    let loop_of = ["explore", "summon", "battle_start", "battle_finish"];
    (0..n).map(|i| act(start + i as i64 * 30_000, loop_of[i % loop_of.len()])).collect()
}

/// A player: sessions of a few actions with heavy-tailed think times (seconds to an hour),
/// actions in no fixed order.
fn human_day(day: i64, seed: u64, n: usize) -> Vec<Act> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let actions = ["explore", "summon", "battle_start", "battle_finish", "list_friends", "send_gift", "buy_item"];
    let mut at = day * DAY + 8 * HOUR + (rng.next_u64() % (4 * HOUR as u64)) as i64;
    (0..n)
        .map(|_| {
            // 2^k seconds, k from 0 to 11 alike (log-uniform, heavy-tailed: from a second to
            // half an hour), with jitter.
            at += (1_000i64 << (rng.next_u64() % 12)) + (rng.next_u64() % 5_000) as i64;
            act(at, actions[(rng.next_u64() % actions.len() as u64) as usize])
        })
        .collect()
}

#[test]
fn a_perfectly_periodic_user_scores_high_on_regularity() {
    let (spread, entropy, regular) = regularity(&macro_day(0, 200));
    assert_eq!((spread, entropy, regular), (0.0, 0.0, 1.0));
    // A little jitter on a machine loop stays regular.
    let jittered: Vec<Act> = macro_day(0, 200)
        .into_iter()
        .enumerate()
        .map(|(i, a)| act(a.at_ms + (i as i64 % 3) * 200, &a.action))
        .collect();
    assert!(regularity(&jittered).2 > 0.8, "{:?}", regularity(&jittered));
    // A script that stops for the night and starts again keeps its rhythm.
    let mut two_runs = macro_day(0, 100);
    two_runs.extend(macro_day(12 * HOUR, 100));
    assert!(regularity(&two_runs).2 > 0.9, "{:?}", regularity(&two_runs));
}

#[test]
fn heavy_tailed_think_times_score_low_on_regularity() {
    for seed in 0..20 {
        let (spread, entropy, regular) = regularity(&human_day(0, seed, 120));
        assert!(spread > 0.8 && entropy > 0.6 && regular < 0.25, "seed {seed}: {spread} {entropy} {regular}");
    }
}

#[test]
fn too_few_actions_say_nothing_about_timing() {
    assert_eq!(regularity(&macro_day(0, MIN_INTERVALS)), (0.0, 0.0, 0.0));
    assert_eq!(regularity(&macro_day(0, MIN_INTERVALS + 1)).2, 1.0);
}

#[test]
fn a_replayed_day_is_self_similar_and_different_days_are_not() {
    let script: Vec<Vec<Act>> = (0..3).map(|d| macro_day(d * DAY + 9 * HOUR, 300)).collect();
    let (hourly, sequence, similar) = self_similarity(&script, DAY);
    assert!((hourly - 1.0).abs() < 1e-9 && (sequence - 1.0).abs() < 1e-9 && (similar - 1.0).abs() < 1e-9);
    // A player at other hours each day, doing other things in other orders.
    let days: Vec<Vec<Act>> = (0..3)
        .map(|d| human_day(d, 100 + d as u64, 60).into_iter().map(|a| act(a.at_ms + d * 7 * HOUR, &a.action)).collect())
        .collect();
    let (hourly, sequence, similar) = self_similarity(&days, DAY);
    assert!(hourly < 0.5 && similar < 0.6, "{hourly} {sequence} {similar}");
    assert_eq!(self_similarity(&script[..1], DAY), (0.0, 0.0, 0.0), "one day says nothing");
}

#[test]
fn a_closed_ring_of_gifting_accounts_scores_high_on_the_social_feature() {
    let mut trades = Trades::default();
    let ring = [1u64, 2, 3, 4, 5];
    for a in ring {
        for b in ring {
            trades.add(a, b);
        }
    }
    // A cycle of four accounts, and a pair farming each other.
    for (a, b) in [(31, 32), (32, 33), (33, 34), (34, 31), (41, 42)] {
        trades.add(a, b);
    }
    // A player with four friends; each friend trades with four others, who trade on with
    // four more each (the game goes on past the circle).
    for friend in 11..15u64 {
        trades.add(10, friend);
        for other in 0..4u64 {
            let stranger = 100 + friend * 10 + other;
            trades.add(friend, stranger);
            for further in 0..4u64 {
                trades.add(stranger, 10_000 + stranger * 10 + further);
            }
        }
    }
    assert_eq!(trades.partners(1), 4);
    assert_eq!(trades.closure(1), 1.0);
    assert_eq!(trades.closure(31), 1.0, "a cycle is closed");
    assert_eq!((trades.closure(41), trades.closure(42)), (0.0, 0.0), "a lone pair tells too little");
    // A popular player and fans who trade with no one else: a star, not a ring.
    for fan in 51..60u64 {
        trades.add(50, fan);
    }
    assert_eq!((trades.closure(50), trades.closure(51)), (0.0, 0.0));
    assert_eq!(trades.partners(10), 4);
    assert!((trades.closure(10) - 0.2).abs() < 1e-9, "{}", trades.closure(10));
    // A friend's circle: the other friends trade on with their strangers (the strangers'
    // partners, with a single trade each, tell nothing).
    assert!((trades.closure(11) - 0.2).abs() < 1e-9, "{}", trades.closure(11));
    assert_eq!(trades.closure(999), 0.0, "no trades, no ring");
}

#[test]
fn a_macro_in_a_ring_outscores_a_player() {
    let mut trades = Trades::default();
    for (a, b) in [(1, 2), (2, 3), (3, 1)] {
        trades.add(a, b);
    }
    trades.add(10, 11);
    for other in 20..25 {
        trades.add(11, other);
        for further in 0..5 {
            trades.add(other, 100 + other * 10 + further);
        }
    }
    let gift = |at_ms, partner| Act { at_ms, action: "send_gift".into(), partner: Some(partner) };
    let mut bot_days: Vec<Vec<Act>> = (0..3).map(|d| macro_day(d * DAY, 400)).collect();
    bot_days[2].extend([gift(2 * DAY + 1, 2), gift(2 * DAY + 2, 3), gift(2 * DAY + 3, 2)]);
    let mut human_days: Vec<Vec<Act>> = (0..3).map(|d| human_day(d, 7 + d as u64, 80)).collect();
    human_days[2].extend([gift(2 * DAY + 1, 11), gift(2 * DAY + 2, 11), gift(2 * DAY + 3, 11)]);
    let bot = features(1, &bot_days, &trades, DAY);
    let human = features(10, &human_days, &trades, DAY);
    assert!(bot.score > 0.8, "{bot:?}");
    // A player keeping the same hours each day is self-similar by the hour: the score weighs
    // that against the rest.
    assert!(human.score < 0.45, "{human:?}");
    assert_eq!((bot.partners, human.partners), (2, 1));
}
