//! Bot scores from activity: the features the NDC 2017 bot-detection talk reports, computed
//! from a user's actions over some game days, each between 0 (human-like) and 1 (bot-like),
//! and a score that weighs them. Pure: activity in, features out; no storage, no clock.
//!
//! - **Regularity** of the intervals between a day's actions: their spread (median absolute
//!   deviation over the median) and the entropy of their distribution over doubling bins. A script that
//!   acts every 30 s has no spread and one bin.
//! - **Self-similarity** across days: the time-of-day profile (actions per hour) and the
//!   sequence (which action follows which) of each day against the day before, by cosine
//!   similarity. A script replays the same day.
//! - **Social closure**: of the trading of the users two steps from one (through gifts and
//!   visits), how much stays inside that circle. Accounts farming each other form a closed
//!   ring; a player's friends have friends of their own, who have theirs.
//!
//! Nothing is decided from a score: it ranks users for a person to look at.

use std::collections::{BTreeMap, BTreeSet};

/// One action of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Act {
    pub at_ms: i64,
    pub action: String,
    /// The other user of a social action (a gift, a dungeon visit), if any.
    pub partner: Option<u64>,
}

/// The features of one user, each from 0 (human-like) to 1 (bot-like), and their weighed
/// score.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Features {
    /// Spread of the day's intervals: median absolute deviation / median (0 for
    /// machine-regular timing; robust to a few long breaks).
    pub interval_spread: f64,
    /// Shannon entropy of the intervals over doubling bins, divided by the most the day's
    /// interval count allows (0: every interval in one bin).
    pub interval_entropy: f64,
    pub regularity: f64,
    /// Mean cosine similarity of each day's hourly profile to the day before.
    pub hour_similarity: f64,
    /// Mean cosine similarity of each day's action transitions to the day before.
    pub sequence_similarity: f64,
    pub self_similarity: f64,
    /// Distinct users traded with.
    pub partners: u32,
    pub social_closure: f64,
    pub score: f64,
}

/// Fewer intervals than this in a day say nothing about timing: regularity is 0.
pub const MIN_INTERVALS: usize = 8;
/// The score's weights: regularity, self-similarity, social closure.
pub const WEIGHTS: [f64; 3] = [0.45, 0.35, 0.20];

/// Regularity of `day`'s actions (sorted by time or not): (spread, entropy, regularity).
pub fn regularity(day: &[Act]) -> (f64, f64, f64) {
    let mut times: Vec<i64> = day.iter().map(|a| a.at_ms).collect();
    times.sort_unstable();
    let intervals: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    if intervals.len() < MIN_INTERVALS {
        return (0.0, 0.0, 0.0);
    }
    let n = intervals.len() as f64;
    // Robust spread: the median absolute deviation over the median, so the one long break
    // of a script that stops for the night does not hide its rhythm.
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] }
    };
    let middle = median(intervals.clone());
    let deviation = median(intervals.iter().map(|i| (i - middle).abs()).collect());
    if middle <= 0.0 {
        // Most actions at one instant: nothing to say about a rhythm.
        return (0.0, 0.0, 0.0);
    }
    let spread = deviation / middle;
    // Doubling bins of milliseconds: 0, 1, 2–3, 4–7, ... up to a day (28 bins).
    let mut bins: BTreeMap<u32, usize> = BTreeMap::new();
    for i in &intervals {
        *bins.entry(64 - (*i as u64).leading_zeros()).or_default() += 1;
    }
    let entropy: f64 = bins.values().map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum();
    // The most entropy n intervals can show over the bins a day spans.
    let most = n.min(28.0).log2();
    let entropy = if most > 0.0 && entropy > 0.0 { (entropy / most).min(1.0) } else { 0.0 };
    let regular = (1.0 - spread.min(1.0)) * 0.5 + (1.0 - entropy) * 0.5;
    (spread, entropy, regular)
}

/// Self-similarity of consecutive `days` (each a day's actions): (hourly, sequence, mean).
/// Fewer than two active days say nothing: 0.
pub fn self_similarity(days: &[Vec<Act>], day_ms: i64) -> (f64, f64, f64) {
    let active: Vec<&Vec<Act>> = days.iter().filter(|d| d.len() >= 2).collect();
    if active.len() < 2 {
        return (0.0, 0.0, 0.0);
    }
    let hours = |day: &[Act]| {
        let mut profile = BTreeMap::new();
        for a in day {
            *profile.entry(a.at_ms.rem_euclid(day_ms) * 24 / day_ms).or_insert(0.0) += 1.0;
        }
        profile
    };
    let transitions = |day: &[Act]| {
        let mut sorted: Vec<&Act> = day.iter().collect();
        sorted.sort_by_key(|a| a.at_ms);
        let mut counts = BTreeMap::new();
        for pair in sorted.windows(2) {
            *counts.entry((pair[0].action.clone(), pair[1].action.clone())).or_insert(0.0) += 1.0;
        }
        counts
    };
    let pairs = active.len() - 1;
    let (mut hourly, mut sequence) = (0.0, 0.0);
    for w in active.windows(2) {
        hourly += cosine(&hours(w[0]), &hours(w[1]));
        sequence += cosine(&transitions(w[0]), &transitions(w[1]));
    }
    let (hourly, sequence) = (hourly / pairs as f64, sequence / pairs as f64);
    (hourly, sequence, (hourly + sequence) / 2.0)
}

/// Cosine similarity of two count vectors (0 when either is empty).
fn cosine<K: Ord>(a: &BTreeMap<K, f64>, b: &BTreeMap<K, f64>) -> f64 {
    let dot: f64 = a.iter().filter_map(|(k, x)| b.get(k).map(|y| x * y)).sum();
    let norm = |m: &BTreeMap<K, f64>| m.values().map(|x| x * x).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 { 0.0 } else { dot / (na * nb) }
}

/// Who traded with whom (gifts and visits, either way): the graph social closure reads.
#[derive(Debug, Clone, Default)]
pub struct Trades {
    edges: BTreeMap<u64, BTreeSet<u64>>,
}

impl Trades {
    /// Records that `a` traded with `b`.
    pub fn add(&mut self, a: u64, b: u64) {
        if a != b {
            self.edges.entry(a).or_default().insert(b);
            self.edges.entry(b).or_default().insert(a);
        }
    }

    /// The users `user` traded with.
    pub fn partners(&self, user: u64) -> usize {
        self.edges.get(&user).map_or(0, BTreeSet::len)
    }

    /// How closed `user`'s trading circle is. The circle: the user, its partners and theirs
    /// (two steps, so a cycle of accounts A-B-C-D-A is one circle). Counted: the trades of
    /// the circle's outer members (two steps away; the partners when no one is), less those
    /// with a single trade (it leads into the circle by construction and tells nothing); the
    /// closure is the share of those trades with members of the circle. A ring or cycle of
    /// three or more accounts trading among themselves is 1; a player whose friends' friends
    /// trade on with the rest of the game is low; a star (a popular player and fans who trade
    /// with no one else) and a lone pair are 0: too little to tell. 0 without partners.
    pub fn closure(&self, user: u64) -> f64 {
        let Some(partners) = self.edges.get(&user) else { return 0.0 };
        let mut circle: BTreeSet<u64> = partners.clone();
        for p in partners {
            circle.extend(self.edges.get(p).into_iter().flatten());
        }
        circle.remove(&user);
        let outer: BTreeSet<u64> = circle.difference(partners).copied().collect();
        let members = if outer.is_empty() { partners } else { &outer };
        circle.insert(user);
        let (mut inside, mut all) = (0usize, 0usize);
        for member in members {
            let trades = self.edges.get(member).map_or(0, BTreeSet::len);
            if trades < 2 {
                continue;
            }
            for other in self.edges.get(member).into_iter().flatten() {
                all += 1;
                if circle.contains(other) {
                    inside += 1;
                }
            }
        }
        if all == 0 { 0.0 } else { inside as f64 / all as f64 }
    }
}

/// The features of a user from their `days` of actions (the last is the day scored) and the
/// trades of every user over those days.
pub fn features(user: u64, days: &[Vec<Act>], trades: &Trades, day_ms: i64) -> Features {
    let today = days.last().map(Vec::as_slice).unwrap_or_default();
    let (interval_spread, interval_entropy, regularity) = regularity(today);
    let (hour_similarity, sequence_similarity, self_similarity) = self_similarity(days, day_ms);
    let social_closure = trades.closure(user);
    let score = WEIGHTS[0] * regularity + WEIGHTS[1] * self_similarity + WEIGHTS[2] * social_closure;
    Features {
        interval_spread,
        interval_entropy,
        regularity,
        hour_similarity,
        sequence_similarity,
        self_similarity,
        partners: trades.partners(user) as u32,
        social_closure,
        score,
    }
}

#[cfg(test)]
mod tests;
