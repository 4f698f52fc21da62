//! The bot swarm (`summoner-bots`): bots that register, log in and play every operation of
//! the game against one or more servers, measure them, and check at the end that the
//! server kept every write it acknowledged.
//!
//! A run has three phases: [`play`] (bots start over the ramp-up, then take turns at the
//! configured rate until the deadline), [`Played::settle`] (every bot reads its profile
//! until no delivery from another bot is still arriving) and [`Played::check`] (each bot
//! reads its state and compares it with its ledger). Between the last two, whoever runs the
//! swarm may passivate the server's actors (`POST /admin/actors/passivate`), so the check
//! reads what storage holds rather than what actors cached.

pub mod chart;
pub mod command;
pub mod ledger;
pub mod mix;
pub mod pacing;
pub mod player;
pub mod report;
pub mod stats;
pub mod turns;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rand::RngExt;

use crate::ledger::Difference;
use crate::mix::Mix;
use crate::pacing::{HumanPace, MacroPace, SCHEDULER_JITTER_MS};
use crate::player::{Bot, Checked, Shared};
use crate::stats::{Snapshot, Stats};
use crate::turns::Facts;
use summoner_proto::gamedata::GameData;

/// The committed build of the game data, as a client ships it.
static EMBEDDED_DATA: &[u8] = include_bytes!("../../../gamedata/compiled/gamedata.pb");

/// The game data embedded in this crate, its content hash checked.
pub fn embedded_game_data() -> Result<GameData, summoner_proto::files::FilesError> {
    summoner_proto::files::decode_data(std::path::Path::new("<embedded>"), EMBEDDED_DATA)
}

/// How long past the deadline a bot still waits to finish the battle it started.
const FINISH_WITHIN: Duration = Duration::from_secs(5);

/// How often a bot sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// An open loop: requests per second per bot, at exponentially spread times (a Poisson
    /// process), whatever the server's latency.
    Rate(f64),
    /// A closed loop: the next request as soon as the answer came.
    ClosedLoop,
    /// A person's pace ([`pacing::HumanPace`]): heavy-tailed think times, sessions and
    /// breaks, waking hours (each bot starts its run an hour into them). Synthetic.
    Human,
}

/// A swarm's settings.
#[derive(Debug, Clone)]
pub struct SwarmOptions {
    /// API endpoints; bot `i` plays against `urls[i % len]`.
    pub urls: Vec<String>,
    pub bots: usize,
    pub duration: Duration,
    /// Bots start evenly spread over this time.
    pub ramp_up: Duration,
    pub pacing: Pacing,
    pub mix: Mix,
    /// Makes the bots' choices reproducible (the server's answers still vary with timing).
    pub seed: u64,
    /// Accounts are `<prefix>-<seed>-<index>` device ids: a run with the same prefix and
    /// seed plays the same accounts again.
    pub account_prefix: String,
    /// One request's time limit; past it the bot sends it again with the same seq.
    pub request_timeout: Duration,
    /// Bots reading or checking their state at once at the end.
    pub check_concurrency: usize,
    /// The game data the bots know (prices, stage durations), as a client ships it; the
    /// build of `gamedata/compiled` embedded in this crate when `None`.
    pub game_data: Option<Arc<GameData>>,
    /// The first this many bots play a macro instead ([`pacing::MACRO_SCRIPT`] over and
    /// over, one request every `macro_period`, whatever `pacing` says).
    pub macro_bots: usize,
    pub macro_period: Duration,
}

impl Default for SwarmOptions {
    fn default() -> Self {
        Self {
            urls: vec!["http://127.0.0.1:8080/api".into()],
            bots: 100,
            duration: Duration::from_secs(60),
            ramp_up: Duration::from_secs(10),
            pacing: Pacing::Rate(0.07),
            mix: Mix::default_mix(),
            seed: 1,
            account_prefix: "bot".into(),
            request_timeout: Duration::from_secs(10),
            check_concurrency: 64,
            game_data: None,
            macro_bots: 0,
            macro_period: Duration::from_secs(30),
        }
    }
}

/// Why a swarm could not run.
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error("no target URL")]
    NoUrl,
    #[error("the bots read the embedded game data and could not: {0}")]
    GameData(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The bots after the load phase, with the figures of that phase.
pub struct Played {
    bots: Vec<Bot>,
    /// Bots that could not register or log in.
    pub failed_to_start: usize,
    pub figures: Snapshot,
    concurrency: usize,
}

/// The consistency check's result.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Consistency {
    pub bots_checked: usize,
    /// Bots whose ledger could not be trusted (an answer they never got) or whose state
    /// could not be read, with why.
    pub unverifiable: Vec<(usize, String)>,
    pub differences: Vec<Difference>,
    /// Deliveries from other bots applied, over all bots.
    pub deliveries_received: u64,
}

impl Consistency {
    /// Whether the server kept exactly what it acknowledged, for every bot that can tell.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.unverifiable.is_empty()
    }
}

/// Runs the load phase: starts the bots over the ramp-up and lets them play until the
/// deadline. `progress` is called about once a second with the live figures.
pub async fn play(options: &SwarmOptions, progress: impl Fn(&Stats) + Send + Sync) -> Result<Played, SwarmError> {
    if options.urls.is_empty() {
        return Err(SwarmError::NoUrl);
    }
    let data = match &options.game_data {
        Some(data) => data.clone(),
        None => Arc::new(embedded_game_data().map_err(|e| SwarmError::GameData(e.to_string()))?),
    };
    let http = reqwest::Client::builder()
        // Every connection opened stays for reuse: closing those beyond a bound after a burst
        // (a ramp-up of thousands of bots) leaves them in TIME_WAIT until the machine runs
        // out of local ports and new connections fail.
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        // Register and Login too: no call waits longer than a request may.
        .timeout(options.request_timeout)
        .build()?;
    let started = Instant::now();
    let stats = Arc::new(Stats::new(started));
    let shared = Arc::new(Shared {
        facts: Facts::new(&data, &options.account_prefix),
        stats: stats.clone(),
        http,
        timeout: options.request_timeout,
    });
    let deadline = started + options.ramp_up + options.duration;
    let mut tasks = FuturesUnordered::new();
    for index in 0..options.bots {
        let url = &options.urls[index % options.urls.len()];
        let device_id = format!("{}-{}-{index}", options.account_prefix, options.seed);
        let bot_seed = options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(index as u64);
        let mut bot = Bot::new(index, device_id, url, bot_seed, shared.clone());
        let start_at = started + options.ramp_up.mul_f64(index as f64 / options.bots.max(1) as f64);
        let mix = options.mix.clone();
        let rhythm = if index < options.macro_bots {
            let pace = MacroPace::new(bot_seed, options.macro_period.as_millis() as i64, SCHEDULER_JITTER_MS);
            let shift = pace.hours_shift_ms(wall_ms());
            Rhythm::Macro(pace, shift, 0)
        } else {
            match options.pacing {
                Pacing::Rate(rate) => Rhythm::Rate(rate),
                Pacing::ClosedLoop => Rhythm::ClosedLoop,
                Pacing::Human => {
                    let pace = HumanPace::new(bot_seed);
                    let shift = pace.awake_shift_ms(wall_ms());
                    Rhythm::Human(pace, shift)
                }
            }
        };
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(start_at.into()).await;
            let up = bot.start().await;
            bot.shared.stats.start_done();
            if up {
                bot.play(&mix, rhythm, deadline).await;
            }
            (bot, up)
        }));
    }
    let mut bots = Vec::with_capacity(options.bots);
    let mut failed_to_start = 0;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    while !tasks.is_empty() {
        tokio::select! {
            joined = tasks.next() => match joined {
                Some(Ok((bot, up))) => {
                    failed_to_start += usize::from(!up);
                    bots.push(bot);
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "a bot's task failed");
                    failed_to_start += 1;
                }
                None => break,
            },
            _ = ticker.tick() => progress(&stats),
        }
    }
    // The run lasts until its deadline even when every bot's next turn fell after it.
    tokio::time::sleep_until(deadline.into()).await;
    progress(&stats);
    bots.sort_by_key(|b| b.index);
    let figures = stats.snapshot();
    Ok(Played { bots, failed_to_start, figures, concurrency: options.check_concurrency.max(1) })
}

/// One bot's pace in a run.
enum Rhythm {
    Rate(f64),
    ClosedLoop,
    /// A person's pace, on a clock shifted by this many ms (so the run falls in its
    /// waking hours).
    Human(HumanPace, i64),
    /// A macro's pace on a clock shifted by this many ms (so the run falls in its hours),
    /// and the step of its script it is at.
    Macro(MacroPace, i64, usize),
}

/// Wall-clock time (ms since the epoch).
fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Bot {
    /// Takes turns until `deadline`, then finishes the battle it owes if that is due within
    /// [`FINISH_WITHIN`] (a longer one is left to expire on the server).
    async fn play(&mut self, mix: &Mix, mut rhythm: Rhythm, deadline: Instant) {
        let mut next = Instant::now();
        loop {
            next = match &mut rhythm {
                Rhythm::Rate(rate) => {
                    // Exponential gaps: the bots together send as a Poisson process would.
                    let u: f64 = self.rng.random();
                    next + Duration::from_secs_f64(-(1.0 - u).ln() / rate.max(1e-9))
                }
                Rhythm::ClosedLoop => Instant::now(),
                Rhythm::Human(pace, shift) => next + gap(pace.gap_ms(wall_ms() + *shift)),
                Rhythm::Macro(pace, shift, _) => next + gap(pace.gap_ms(wall_ms() + *shift)),
            };
            if next >= deadline {
                if let Some((due, request)) = self.owed().filter(|(due, _)| *due <= deadline + FINISH_WITHIN) {
                    tokio::time::sleep_until(due.into()).await;
                    self.act(request, due).await;
                }
                return;
            }
            tokio::time::sleep_until(next.into()).await;
            let request = match &mut rhythm {
                Rhythm::Macro(_, _, step) => self.next_scripted(step, Instant::now()),
                _ => self.next_request(mix, Instant::now()),
            };
            if let Some(request) = request {
                // Latency counts from `next`, when the request was meant to go.
                self.act(request, next).await;
            }
        }
    }
}

/// A pace's gap as a duration (never negative).
fn gap(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl Played {
    /// The bots' ledgers (tests look inside).
    pub fn bots(&self) -> &[Bot] {
        &self.bots
    }

    /// Lets deliveries between bots arrive: each bot reads its profile until none comes.
    pub async fn settle(&mut self) {
        let limit = self.concurrency;
        let playing = self.bots.iter_mut().filter(|b| b.started);
        futures_util::stream::iter(playing).for_each_concurrent(limit, |bot| bot.drain()).await;
    }

    /// Every bot reads its state and compares it with its ledger.
    pub async fn check(&mut self) -> Consistency {
        let limit = self.concurrency;
        // A bot that never started has no ledger to compare (the run fails on it anyway).
        let results: Vec<(usize, Checked)> = futures_util::stream::iter(self.bots.iter_mut().filter(|b| b.started))
            .map(|bot| async move { (bot.index, bot.check().await) })
            .buffer_unordered(limit)
            .collect()
            .await;
        let mut consistency = Consistency {
            bots_checked: results.len(),
            deliveries_received: self.bots.iter().map(|b| b.ledger.received).sum(),
            ..Default::default()
        };
        for (index, checked) in results {
            match checked {
                Checked::Compared(differences) => consistency.differences.extend(differences),
                Checked::Unverifiable(why) => consistency.unverifiable.push((index, why)),
            }
        }
        consistency.unverifiable.sort();
        consistency.differences.sort_by_key(|d| d.user_id);
        consistency
    }
}
