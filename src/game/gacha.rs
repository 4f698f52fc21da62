//! Summon pools as the draw uses them: a rarity picked by the pool's rarity weights, then a
//! monster of that rarity by the monsters' weights, from the user's ChaCha stream; the pity
//! rule; and the published rates, computed from the very same tables.
//!
//! The draw and [`Pool::rates`] read the same [`Pool`], so what is published is what is drawn
//! with (`tests` check it with 100,000 draws and a chi-square test).

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use summoner_proto::gamedata::{Currency, SummonPool};

/// One rarity of a pool: its weight and its monsters with theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub rarity: u32,
    pub weight: u64,
    /// (monster uid, weight), in the sheet's order.
    pub monsters: Vec<(String, u64)>,
    pub monsters_weight: u64,
}

/// A pool ready to draw from.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub uid: String,
    pub currency: Currency,
    pub cost: u64,
    pub ten_cost: u64,
    /// Tiers by rarity, lowest first.
    pub tiers: Vec<Tier>,
    /// The pity rule: after `pity_after - 1` draws in a row without a monster of at least
    /// `pity_rarity`, the next one is of at least `pity_rarity`; `pity_after == 0`: none.
    pub pity_after: u32,
    pub pity_rarity: u32,
}

/// One draw's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draw {
    pub monster: String,
    pub rarity: u32,
    /// The pity rule decided the rarity tier.
    pub by_pity: bool,
}

/// The published chances of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// (rarity, probability), lowest rarity first.
    pub rarities: Vec<(u32, f64)>,
    /// (monster uid, rarity, probability).
    pub monsters: Vec<(String, u32, f64)>,
}

impl Pool {
    /// Indexes a compiled pool; `rarity_of` gives each monster's rarity. None when the pool
    /// lacks what the compiler guarantees (a currency, tiers with monsters).
    pub fn new(pool: &SummonPool, rarity_of: impl Fn(&str) -> Option<u32>) -> Option<Self> {
        let currency = Currency::try_from(pool.cost_currency).ok().filter(|c| *c != Currency::Unspecified)?;
        let mut tiers = Vec::new();
        for rate in &pool.rarity_weights {
            let monsters: Vec<(String, u64)> = pool
                .entries
                .iter()
                .filter(|e| rarity_of(&e.uid) == Some(rate.rarity))
                .map(|e| (e.uid.clone(), u64::from(e.weight)))
                .collect();
            let monsters_weight = monsters.iter().map(|(_, w)| w).sum();
            if rate.weight == 0 || monsters_weight == 0 {
                return None;
            }
            tiers.push(Tier { rarity: rate.rarity, weight: u64::from(rate.weight), monsters, monsters_weight });
        }
        tiers.sort_by_key(|t| t.rarity);
        if tiers.is_empty() || (pool.pity_after > 0 && !tiers.iter().any(|t| t.rarity >= pool.pity_rarity)) {
            return None;
        }
        Some(Self {
            uid: pool.uid.clone(),
            currency,
            cost: u64::from(pool.cost),
            ten_cost: u64::from(pool.ten_cost),
            tiers,
            pity_after: pool.pity_after,
            pity_rarity: pool.pity_rarity,
        })
    }

    /// Whether a monster of `rarity` resets the pity count.
    pub fn resets_pity(&self, rarity: u32) -> bool {
        self.pity_after > 0 && rarity >= self.pity_rarity
    }

    /// Whether the next draw is forced by pity, after `pity` draws without a hit.
    pub fn pity_due(&self, pity: u32) -> bool {
        self.pity_after > 0 && pity.saturating_add(1) >= self.pity_after
    }

    /// Draws one monster from `rng` after `pity` draws in a row without a pity hit.
    pub fn draw(&self, rng: &mut ChaCha20Rng, pity: u32) -> Draw {
        let by_pity = self.pity_due(pity);
        let tiers: Vec<&Tier> = self.tiers.iter().filter(|t| !by_pity || t.rarity >= self.pity_rarity).collect();
        let total: u64 = tiers.iter().map(|t| t.weight).sum();
        let tier = pick(rng, total, tiers.iter().map(|t| t.weight)).map_or(tiers[tiers.len() - 1], |i| tiers[i]);
        let index = pick(rng, tier.monsters_weight, tier.monsters.iter().map(|(_, w)| *w)).unwrap_or(0);
        Draw { monster: tier.monsters[index].0.clone(), rarity: tier.rarity, by_pity }
    }

    /// The chance of each rarity and each monster on a draw the pity rule does not force.
    pub fn rates(&self) -> Rates {
        let total: u64 = self.tiers.iter().map(|t| t.weight).sum();
        let mut rates = Rates { rarities: Vec::new(), monsters: Vec::new() };
        for tier in &self.tiers {
            let p = tier.weight as f64 / total as f64;
            rates.rarities.push((tier.rarity, p));
            for (uid, weight) in &tier.monsters {
                rates.monsters.push((uid.clone(), tier.rarity, p * *weight as f64 / tier.monsters_weight as f64));
            }
        }
        rates
    }

    /// The price of `count` draws (1 or 10).
    pub fn price(&self, count: u32) -> u64 {
        if count == 10 { self.ten_cost } else { self.cost.saturating_mul(u64::from(count)) }
    }
}

/// Picks an index by weight: a uniform number below `total` falls in one weight's span.
fn pick(rng: &mut ChaCha20Rng, total: u64, weights: impl Iterator<Item = u64>) -> Option<usize> {
    if total == 0 {
        return None;
    }
    let mut roll = rng.random_range(0..total);
    for (i, w) in weights.enumerate() {
        if roll < w {
            return Some(i);
        }
        roll -= w;
    }
    None
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::game::data::GameData;

    fn premium() -> (GameData, Pool) {
        let data = GameData::embedded().expect("embedded game data");
        let pool = data.pool("pool.premium").expect("premium pool").clone();
        (data, pool)
    }

    #[test]
    fn published_rates_add_up_and_follow_the_sheet() {
        let (data, pool) = premium();
        let rates = pool.rates();
        let sum: f64 = rates.rarities.iter().map(|(_, p)| p).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let monsters: f64 = rates.monsters.iter().map(|(_, _, p)| p).sum();
        assert!((monsters - 1.0).abs() < 1e-12);
        for (uid, rarity, _) in &rates.monsters {
            assert_eq!(data.monster(uid).map(|m| m.rarity), Some(*rarity));
        }
    }

    #[test]
    fn the_pity_draw_is_forced_at_exactly_n() {
        let (_, pool) = premium();
        let n = pool.pity_after;
        assert!(n > 1);
        for seed in 0..200 {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let draw = pool.draw(&mut rng, n - 1);
            assert!(draw.by_pity && draw.rarity >= pool.pity_rarity, "{draw:?}");
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            assert!(!pool.draw(&mut rng, n - 2).by_pity);
        }
    }

    /// 100,000 draws of every pool from a fixed seed follow the published rates (chi-square
    /// over monsters and over rarities), so what is published is what is drawn with.
    #[test]
    fn a_hundred_thousand_draws_follow_the_published_rates() {
        use crate::game::chi_square::chi_square;
        let data = GameData::embedded().expect("embedded game data");
        for pool in data.pools() {
            let rates = pool.rates();
            let mut rng = ChaCha20Rng::seed_from_u64(20_261_126);
            let mut seen = std::collections::HashMap::<String, u64>::new();
            for _ in 0..100_000 {
                *seen.entry(pool.draw(&mut rng, 0).monster).or_default() += 1;
            }
            let observed: Vec<u64> =
                rates.monsters.iter().map(|(uid, _, _)| seen.get(uid).copied().unwrap_or(0)).collect();
            let probabilities: Vec<f64> = rates.monsters.iter().map(|(_, _, p)| *p).collect();
            assert_eq!(observed.iter().sum::<u64>(), 100_000, "{}: every draw is a published monster", pool.uid);
            let by_monster = chi_square(&observed, &probabilities).expect("testable");
            assert!(by_monster.p_value > 0.001, "{}: {by_monster:?}", pool.uid);
            let tiers: Vec<u64> = rates
                .rarities
                .iter()
                .map(|(r, _)| {
                    rates.monsters.iter().zip(&observed).filter(|((_, mr, _), _)| mr == r).map(|(_, o)| o).sum()
                })
                .collect();
            let by_rarity = chi_square(&tiers, &rates.rarities.iter().map(|(_, p)| *p).collect::<Vec<_>>());
            assert!(by_rarity.is_none_or(|t| t.p_value > 0.001), "{}: {by_rarity:?}", pool.uid);
        }
    }

    /// Over a long run with the pity count kept as the summon handler keeps it, no stretch
    /// of `pity_after` draws lacks a pity-rarity monster, and pity decides exactly the draws
    /// that come after `pity_after - 1` misses.
    #[test]
    fn pity_holds_over_a_long_run() {
        let (_, pool) = premium();
        let mut rng = ChaCha20Rng::seed_from_u64(99);
        let (mut pity, mut forced) = (0u32, 0);
        for _ in 0..100_000 {
            let draw = pool.draw(&mut rng, pity);
            assert_eq!(draw.by_pity, pity == pool.pity_after - 1);
            forced += u32::from(draw.by_pity);
            pity = if pool.resets_pity(draw.rarity) { 0 } else { pity + 1 };
            assert!(pity < pool.pity_after);
        }
        assert!(forced > 0, "a long run meets the pity rule");
    }

    #[test]
    fn the_same_stream_draws_the_same() {
        let (_, pool) = premium();
        let a: Vec<Draw> = {
            let mut rng = ChaCha20Rng::seed_from_u64(7);
            (0..50).map(|_| pool.draw(&mut rng, 0)).collect()
        };
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let b: Vec<Draw> = (0..50).map(|_| pool.draw(&mut rng, 0)).collect();
        assert_eq!(a, b);
    }
}
