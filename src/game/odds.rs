//! The odds a player actually gets from a pool with its pity rule, solved exactly from the
//! pity counter's Markov chain (no simulation): what [`crate::game::gacha::Pool::rates`]
//! publishes is the chance of a draw the rule does not force; this is the long-run share of
//! each rarity over all draws, forced ones included, and the expected number of draws to the
//! pool's top rarity.
//!
//! The chain: the counter `k` is the draws in a row without a pity hit (a rarity of at least
//! `pity_rarity`). From `k < N - 1` (`N` = `pity_after`) a draw hits with the base chance
//! `q` (back to 0) or misses (to `k + 1`); at `k = N - 1` the draw is forced: a pity rarity by
//! the pity tiers' weights, back to 0. Its stationary law is `π_k ∝ (1 - q)^k`, `k < N`.

use crate::game::gacha::Pool;

/// A pool's odds with its pity rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Odds {
    /// (rarity, long-run share of all draws), lowest rarity first; the base rates when the
    /// pool has no pity rule.
    pub rarities: Vec<(u32, f64)>,
    /// The pool's top rarity.
    pub top_rarity: u32,
    /// Expected draws to a monster of the top rarity, from a pity count of 0.
    pub draws_to_top: f64,
}

/// The chances of one draw, forced by the pity rule or not: (rarity, chance).
fn draw_at(pool: &Pool, forced: bool) -> Vec<(u32, f64)> {
    let tiers: Vec<_> = pool.tiers.iter().filter(|t| !forced || t.rarity >= pool.pity_rarity).collect();
    let total: u64 = tiers.iter().map(|t| t.weight).sum();
    tiers.iter().map(|t| (t.rarity, t.weight as f64 / total as f64)).collect()
}

impl Odds {
    /// The chances of a draw the pity rule forces: (rarity, chance), pity rarities only.
    pub fn forced_draw(pool: &Pool) -> Vec<(u32, f64)> {
        draw_at(pool, true)
    }

    /// Solves the chain of `pool`.
    pub fn of(pool: &Pool) -> Self {
        let top_rarity = pool.tiers.iter().map(|t| t.rarity).max().unwrap_or(0);
        let base = draw_at(pool, false);
        let share = |rarity: u32, at: &[(u32, f64)]| at.iter().find(|(r, _)| *r == rarity).map_or(0.0, |(_, p)| *p);
        let top = share(top_rarity, &base);
        let n = pool.pity_after;
        if n == 0 {
            return Self { rarities: base, top_rarity, draws_to_top: 1.0 / top };
        }
        let forced = draw_at(pool, true);
        let q: f64 = base.iter().filter(|(r, _)| *r >= pool.pity_rarity).map(|(_, p)| p).sum();
        // π_k = m^k / S for k < N, with m = 1 - q and S = (1 - m^N) / q (q > 0: a pool with a
        // pity rule has a pity tier); the forced state is k = N - 1. Closed forms, so any N
        // the game data holds costs the same.
        let m = 1.0 - q;
        let total = (1.0 - m.powf(f64::from(n))) / q;
        let forced_share = (m.powf(f64::from(n - 1)) / total).clamp(0.0, 1.0);
        let rarities = base
            .iter()
            .map(|&(rarity, p)| (rarity, (1.0 - forced_share) * p + forced_share * share(rarity, &forced)))
            .collect();
        Self { rarities, top_rarity, draws_to_top: Self::draws_to_top_from(pool, 0) }
    }

    /// Expected draws to a monster of the top rarity from a pity count of `pity`.
    ///
    /// With `E_k` the expectation from count `k`: `E_k = 1 + h E_0 + m E_{k+1}`, where `h` is
    /// the chance of a pity hit below the top rarity and `m` of a miss; at the forced count
    /// `E_{N-1} = 1 + f E_0`, `f` the forced draw's chance of missing the top. Written as
    /// `E_k = a_k + b_k E_0`, with `d = N - 1 - k`: `a_k = (1 - m^d) / q + m^d` and
    /// `b_k = h (1 - m^d) / q + m^d f` (geometric sums, `q = 1 - m`); then
    /// `E_0 = a_0 / (1 - b_0)`.
    pub fn draws_to_top_from(pool: &Pool, pity: u32) -> f64 {
        let top_rarity = pool.tiers.iter().map(|t| t.rarity).max().unwrap_or(0);
        let base = draw_at(pool, false);
        let chance = |at: &[(u32, f64)], keep: &dyn Fn(u32) -> bool| -> f64 {
            at.iter().filter(|(r, _)| keep(*r)).map(|(_, p)| p).sum()
        };
        let top = chance(&base, &|r| r == top_rarity);
        let n = pool.pity_after;
        if n == 0 {
            return 1.0 / top;
        }
        let forced = draw_at(pool, true);
        let h = chance(&base, &|r| r >= pool.pity_rarity && r != top_rarity);
        let m = chance(&base, &|r| r < pool.pity_rarity);
        let q = 1.0 - m;
        let f = chance(&forced, &|r| r != top_rarity);
        let at = |k: u32| {
            let md = m.powf(f64::from(n - 1 - k));
            ((1.0 - md) / q + md, h * (1.0 - md) / q + md * f)
        };
        let (a0, b0) = at(0);
        let from_zero = a0 / (1.0 - b0);
        let (a, b) = at(pity.min(n - 1));
        a + b * from_zero
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use summoner_proto::gamedata::Currency;

    use super::*;
    use crate::game::gacha::Tier;

    fn tier(rarity: u32, weight: u64) -> Tier {
        Tier { rarity, weight, monsters: vec![(format!("m{rarity}"), 1)], monsters_weight: 1 }
    }

    /// Three rarities 80/18/2 %, pity on rarity 2 and up after `n`.
    fn pool(n: u32) -> Pool {
        Pool {
            uid: "p".into(),
            currency: Currency::Gems,
            cost: 1,
            ten_cost: 10,
            tiers: vec![tier(1, 80), tier(2, 18), tier(3, 2)],
            pity_after: n,
            pity_rarity: 2,
        }
    }

    #[test]
    fn without_pity_the_odds_are_the_base_rates() {
        let odds = Odds::of(&pool(0));
        assert_eq!(odds.rarities, vec![(1, 0.8), (2, 0.18), (3, 0.02)]);
        assert!((odds.draws_to_top - 50.0).abs() < 1e-9);
    }

    #[test]
    fn the_chain_matches_its_closed_forms() {
        // q = 0.2, N = 10: E[draws to a pity hit] = (1 - 0.8^10) / 0.2; its inverse is the
        // long-run share of pity hits.
        let odds = Odds::of(&pool(10));
        let hits: f64 = odds.rarities.iter().filter(|(r, _)| *r >= 2).map(|(_, p)| p).sum();
        let cycle = (1.0 - 0.8f64.powi(10)) / 0.2;
        assert!((hits - 1.0 / cycle).abs() < 1e-12, "{hits} vs {}", 1.0 / cycle);
        assert!((odds.rarities.iter().map(|(_, p)| p).sum::<f64>() - 1.0).abs() < 1e-12);
        // With pity every draw forced (N = 1), rarity 1 never comes and 2:3 keep their 18:2.
        let all_forced = Odds::of(&pool(1));
        assert!(all_forced.rarities[0].1.abs() < 1e-12, "{:?}", all_forced.rarities);
        assert!((all_forced.rarities[2].1 - 0.1).abs() < 1e-12);
        assert!((all_forced.draws_to_top - 10.0).abs() < 1e-9);
        // The forced draw is one draw away from the top at most 1 - 2/20 of the time.
        let e0 = Odds::draws_to_top_from(&pool(10), 0);
        assert!((Odds::draws_to_top_from(&pool(10), 9) - (1.0 + 0.9 * e0)).abs() < 1e-9);
        assert!(e0 < 50.0, "pity brings the top nearer: {e0}");
        // A pity rule no one reaches in practice costs no more than a short one, and its odds
        // are the base ones.
        let far = Odds::of(&pool(u32::MAX));
        assert!((far.rarities[2].1 - 0.02).abs() < 1e-9 && (far.draws_to_top - 50.0).abs() < 1e-6, "{far:?}");
    }

    /// 400,000 draws with the counter kept as the summon handler keeps it land within a few
    /// thousandths of the solved shares, and the mean wait for the top rarity near its
    /// expectation (a fixed seed: the run is the same every time).
    #[test]
    fn a_long_run_of_real_draws_agrees_with_the_solved_chain() {
        let pool = pool(10);
        let odds = Odds::of(&pool);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (mut pity, mut counts, mut since_top, mut waits) = (0u32, [0u64; 4], 0u64, Vec::new());
        let draws = 400_000;
        for _ in 0..draws {
            let draw = pool.draw(&mut rng, pity);
            counts[draw.rarity as usize] += 1;
            pity = if pool.resets_pity(draw.rarity) { 0 } else { pity + 1 };
            since_top += 1;
            if draw.rarity == 3 {
                waits.push(since_top);
                since_top = 0;
            }
        }
        for (rarity, p) in &odds.rarities {
            let seen = counts[*rarity as usize] as f64 / draws as f64;
            assert!((seen - p).abs() < 0.003, "rarity {rarity}: {seen} drawn, {p} solved");
        }
        let mean = waits.iter().sum::<u64>() as f64 / waits.len() as f64;
        assert!((mean - odds.draws_to_top).abs() / odds.draws_to_top < 0.03, "{mean} vs {}", odds.draws_to_top);
    }
}
