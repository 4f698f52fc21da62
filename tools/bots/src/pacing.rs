//! When a bot acts: a person's pace (heavy-tailed think times, sessions and breaks, a daily
//! rhythm of waking hours) and a macro's (a scripted loop at a machine-regular period, the
//! same hours every day). The live swarm paces its bots with them ([`crate::Pacing::Human`],
//! [`crate::SwarmOptions::macro_bots`]), and [`trace`] writes days of them as action-log rows
//! for the bot-detection measurement (`benches/bot_detection.rs`).
//!
//! The human pace is synthetic: textbook shapes (log-normal think times, geometric session
//! lengths, log-normal breaks, a waking window that shifts a little from day to day), not
//! fitted to real players' traces.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::mix::Behaviour;

/// One day (ms).
pub const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// What a macro does, in this order, over and over (skipping what it cannot do yet).
pub const MACRO_SCRIPT: [Behaviour; 5] =
    [Behaviour::SetTeam, Behaviour::Battle, Behaviour::Summon, Behaviour::Enhance, Behaviour::ClaimMail];

/// A person's pace.
#[derive(Debug, Clone)]
pub struct HumanPace {
    rng: ChaCha8Rng,
    seed: u64,
    /// When its waking hours begin (ms into the day, before the day's shift) and how long
    /// they last (they may run past midnight).
    wakes_at_ms: i64,
    awake_ms: i64,
    /// Actions left in the current session.
    left_in_session: u32,
}

impl HumanPace {
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6875_6d61_6e00_0001);
        let wakes_at_ms = rng.random_range(5..11) * HOUR_MS + rng.random_range(0..60) * MINUTE_MS;
        let awake_ms = rng.random_range(13..=17) * HOUR_MS;
        // It starts in a session (a live run's people play from the start).
        let left_in_session = geometric(&mut rng, 25.0);
        Self { rng, seed, wakes_at_ms, awake_ms, left_in_session }
    }

    /// How far to shift `now_ms` so that it falls an hour into this person's waking hours
    /// (a live run then plays awake people, whatever the hour).
    pub fn awake_shift_ms(&self, now_ms: i64) -> i64 {
        let day = now_ms.div_euclid(DAY_MS);
        day * DAY_MS + self.wakes_on(day) + HOUR_MS - now_ms
    }

    /// How long after an action at `at_ms` (ms since the epoch) the next one comes.
    pub fn gap_ms(&mut self, at_ms: i64) -> i64 {
        let gap = if self.left_in_session > 0 {
            self.left_in_session -= 1;
            // Think time: median 6 s, a long tail (reading, a phone call).
            lognormal(&mut self.rng, 6_000.0, 1.1).max(400.0) as i64
        } else {
            // A session of about 25 actions, after a break of median 40 minutes.
            self.left_in_session = geometric(&mut self.rng, 25.0);
            lognormal(&mut self.rng, 40.0 * MINUTE_MS as f64, 1.0) as i64
        };
        let next = at_ms.saturating_add(gap);
        if self.awake(next) {
            return gap;
        }
        // Asleep: the first session of the next waking hours, a little after waking.
        self.left_in_session = geometric(&mut self.rng, 25.0);
        self.next_waking(next) + self.rng.random_range(5..90) * MINUTE_MS - at_ms
    }

    /// When its waking hours begin on day `day` (days since the epoch): its usual time,
    /// shifted by up to half an hour, the same shift for the whole day.
    fn wakes_on(&self, day: i64) -> i64 {
        let mixed = splitmix(self.seed ^ (day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.wakes_at_ms + ((mixed % 61) as i64 - 30) * MINUTE_MS
    }

    /// Whether `at_ms` falls in waking hours (today's, or yesterday's running past midnight).
    fn awake(&self, at_ms: i64) -> bool {
        let day = at_ms.div_euclid(DAY_MS);
        [day - 1, day].into_iter().any(|d| {
            let from = d * DAY_MS + self.wakes_on(d);
            (from..from + self.awake_ms).contains(&at_ms)
        })
    }

    /// When waking hours next begin after `at_ms`.
    fn next_waking(&self, at_ms: i64) -> i64 {
        let day = at_ms.div_euclid(DAY_MS);
        let today = day * DAY_MS + self.wakes_on(day);
        if today > at_ms { today } else { (day + 1) * DAY_MS + self.wakes_on(day + 1) }
    }
}

/// SplitMix64: a day's shift drawn from the seed and the day alone.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A macro's pace: one action every `period_ms`, give or take `jitter_ms` (a scheduler's
/// few milliseconds, or the random delay a macro tool adds to look less regular), within
/// the same hours every day.
#[derive(Debug, Clone)]
pub struct MacroPace {
    rng: ChaCha8Rng,
    pub period_ms: i64,
    pub jitter_ms: i64,
    starts_at_ms: i64,
    runs_ms: i64,
}

/// A scheduler's jitter: what a plain macro loop shows.
pub const SCHEDULER_JITTER_MS: i64 = 20;

impl MacroPace {
    pub fn new(seed: u64, period_ms: i64, jitter_ms: i64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6d61_6372_6f00_0002);
        let starts_at_ms = rng.random_range(0..24) * HOUR_MS;
        let runs_ms = rng.random_range(6..=20) * HOUR_MS;
        let period_ms = period_ms.max(1);
        Self { rng, period_ms, jitter_ms: jitter_ms.clamp(0, period_ms - 1), starts_at_ms, runs_ms }
    }

    /// How far to shift `now_ms` so that it falls at the start of this macro's hours (a
    /// live run then plays running macros, whatever the hour).
    pub fn hours_shift_ms(&self, now_ms: i64) -> i64 {
        self.starts_at_ms - now_ms.rem_euclid(DAY_MS)
    }

    /// How long after an action at `at_ms` the next one comes.
    pub fn gap_ms(&mut self, at_ms: i64) -> i64 {
        let next = at_ms + self.period_ms + self.rng.random_range(-self.jitter_ms..=self.jitter_ms);
        let day = next.div_euclid(DAY_MS) * DAY_MS;
        let into = (next - day - self.starts_at_ms).rem_euclid(DAY_MS);
        if into < self.runs_ms {
            return next - at_ms;
        }
        // Off its hours: the next start of them (today's, if it is still to come).
        let starts =
            if day + self.starts_at_ms > next { day + self.starts_at_ms } else { day + DAY_MS + self.starts_at_ms };
        starts - at_ms
    }
}

/// One action of a synthetic trace, as the server would log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traced {
    pub at_ms: i64,
    pub action: &'static str,
    /// `to=<user>` for a gift, else empty.
    pub params: String,
}

/// Who a synthetic trace is of.
#[derive(Debug, Clone)]
pub enum Player {
    /// A person, gifting now and then to one of `friends`.
    Human { friends: Vec<u64> },
    /// A macro at `period_ms` give or take `jitter_ms`, gifting to the rest of its `ring`
    /// (farm accounts) once a loop in 40.
    Macro { period_ms: i64, jitter_ms: i64, ring: Vec<u64> },
}

/// The actions a person plays, with how often (the logged ones of the default mix).
const HUMAN_ACTIONS: [(&str, u32); 9] = [
    ("explore", 30),
    ("battle_start", 12),
    ("battle_finish", 10),
    ("enhance_monster", 6),
    ("summon", 12),
    ("claim_quest", 8),
    ("buy_item", 6),
    ("set_team", 4),
    ("claim_mail", 6),
];

/// The log actions of [`MACRO_SCRIPT`]'s loop, as the server names them (a battle's start
/// and finish, a summon, an enhancement; mail when there is some). `set_team` is left out:
/// the script sets its team only when a better one appears, rarely.
const MACRO_ACTIONS: [&str; 5] = ["battle_start", "battle_finish", "summon", "enhance_monster", "claim_mail"];

/// `player`'s logged actions from `from_ms` for `days` days, drawn from `seed`.
pub fn trace(player: &Player, seed: u64, from_ms: i64, days: i64) -> Vec<Traced> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7472_6163_6500_0003);
    let until = from_ms + days * DAY_MS;
    let mut out = Vec::new();
    match player {
        Player::Human { friends } => {
            let mut pace = HumanPace::new(seed);
            let mut at = from_ms + pace.gap_ms(from_ms);
            let total: u32 = HUMAN_ACTIONS.iter().map(|(_, w)| w).sum();
            while at < until {
                let mut roll = rng.random_range(0..total);
                let action = HUMAN_ACTIONS
                    .iter()
                    .find(|(_, w)| {
                        let hit = roll < *w;
                        roll = roll.saturating_sub(*w);
                        hit
                    })
                    .map_or("explore", |(a, _)| *a);
                out.push(Traced { at_ms: at, action, params: String::new() });
                if !friends.is_empty() && rng.random_range(0..30) == 0 {
                    let to = friends[rng.random_range(0..friends.len())];
                    out.push(Traced { at_ms: at + 1, action: "gift_sent", params: format!("to={to} points=5") });
                }
                at += pace.gap_ms(at);
            }
        }
        Player::Macro { period_ms, jitter_ms, ring } => {
            let mut pace = MacroPace::new(seed, *period_ms, *jitter_ms);
            let mut at = from_ms + pace.gap_ms(from_ms);
            let mut step = 0usize;
            while at < until {
                out.push(Traced {
                    at_ms: at,
                    action: MACRO_ACTIONS[step % MACRO_ACTIONS.len()],
                    params: String::new(),
                });
                if !ring.is_empty() && step % 40 == 39 {
                    let to = ring[(step / 40) % ring.len()];
                    out.push(Traced { at_ms: at + 1, action: "gift_sent", params: format!("to={to} points=5") });
                }
                step += 1;
                at += pace.gap_ms(at);
            }
        }
    }
    out
}

/// A log-normal draw with median `median` and shape `sigma` (Box–Muller).
fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    median * (sigma * normal).exp()
}

/// A geometric draw with mean `mean` (at least 1).
fn geometric(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let p = 1.0 / mean.max(1.0);
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    (u.ln() / (1.0 - p).ln()).ceil().clamp(1.0, 10_000.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_macro_keeps_its_period_and_its_hours() {
        // Several seeds: some macros' hours run past midnight.
        for seed in 0..16 {
            let mut pace = MacroPace::new(seed, 30_000, SCHEDULER_JITTER_MS);
            let mut at = 0;
            let mut gaps = Vec::new();
            for _ in 0..10_000 {
                let gap = pace.gap_ms(at);
                gaps.push(gap);
                at += gap;
            }
            let regular = gaps.iter().filter(|g| (29_980..=30_020).contains(*g)).count();
            assert!(regular > 9_900, "{regular} of 10,000 gaps at its period");
            assert!(gaps.iter().any(|g| *g > HOUR_MS), "it stops outside its hours");
            let mut days = std::collections::BTreeSet::new();
            let mut at = 0;
            for gap in &gaps {
                at += gap;
                days.insert(at / DAY_MS);
            }
            let last = *days.last().expect("days");
            assert_eq!(days.len() as i64, last + 1, "seed {seed}: it plays every day");
        }
    }

    #[test]
    fn a_person_thinks_in_a_heavy_tail_and_sleeps_at_night() {
        for seed in 0..16 {
            let mut pace = HumanPace::new(seed);
            // An hour into its waking hours, as a live run starts.
            let mut at = pace.awake_shift_ms(0);
            let mut gaps = Vec::new();
            for _ in 0..20_000 {
                let gap = pace.gap_ms(at);
                gaps.push(gap);
                at += gap;
                assert!(pace.awake(at), "seed {seed}: it acts only while awake");
            }
            let mut sorted = gaps.clone();
            sorted.sort_unstable();
            let (median, p99) = (sorted[sorted.len() / 2], sorted[sorted.len() * 99 / 100]);
            assert!((2_000..20_000).contains(&median), "seed {seed}: median think time {median} ms");
            assert!(p99 > 20 * median, "seed {seed}: a heavy tail: p99 {p99} ms, median {median} ms");
            assert!(gaps.iter().any(|g| *g > 6 * HOUR_MS), "seed {seed}: a night's sleep");
            assert!(at / DAY_MS >= 2, "seed {seed}: the trace spans days");
            assert!(gaps[0] < HOUR_MS, "seed {seed}: it starts in a session");
        }
    }

    #[test]
    fn traces_are_reproducible_and_in_order() {
        let player = Player::Human { friends: vec![5, 6] };
        let a = trace(&player, 11, 0, 3);
        assert_eq!(a, trace(&player, 11, 0, 3));
        assert!(a.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(a.iter().all(|t| t.at_ms < 3 * DAY_MS));
        let bot = trace(&Player::Macro { period_ms: 30_000, jitter_ms: SCHEDULER_JITTER_MS, ring: vec![8] }, 11, 0, 3);
        assert!(bot.len() > a.len(), "a macro acts more than a person");
        assert!(bot.iter().any(|t| t.action == "gift_sent" && t.params.starts_with("to=8 ")));
    }
}
