//! `summoner-bots`: its arguments, and the run of a swarm from the command line with a live display (indicatif),
//! passivates the server's actors through its admin endpoint when given one, checks, and
//! prints and writes the report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::mix::Mix;
use crate::report::SwarmReport;
use crate::stats::Stats;
use crate::{Pacing, Played, SwarmOptions, chart, play};

/// `summoner-bots`: a swarm of bots that play the game against a running server: a live
/// display while they play, then a report per operation, and a check that the server kept
/// every write it acknowledged. Exit code 0: no error and the check clean; 1: not; 2: the run
/// could not start.
#[derive(Debug, Parser, Clone, PartialEq)]
#[command(name = "summoner-bots", version, about)]
pub struct BotsArgs {
    /// An API endpoint to play against; repeat it to spread the bots over several servers.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080/api")]
    pub urls: Vec<String>,
    /// How many bots.
    #[arg(long, default_value_t = 100)]
    pub bots: usize,
    /// Seconds the bots play once all have started.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seconds over which the bots start, evenly spread.
    #[arg(long, default_value_t = 10)]
    pub ramp_up: u64,
    /// Requests per second per bot (the seed game's players: 0.07), at random (Poisson)
    /// times; latency counts from when each request was meant to go.
    #[arg(long, default_value_t = 0.07, conflicts_with = "closed_loop")]
    pub rate: f64,
    /// Each bot sends its next request as soon as its last one is answered.
    #[arg(long, conflicts_with = "human")]
    pub closed_loop: bool,
    /// Each bot plays at a person's pace: heavy-tailed think times, sessions and breaks,
    /// waking hours (a synthetic model, not fitted to real players).
    #[arg(long, conflicts_with = "rate")]
    pub human: bool,
    /// The first this many bots play a macro: one scripted loop, a request every
    /// `--macro-period-ms`, the same hours every day.
    #[arg(long, default_value_t = 0)]
    pub macro_bots: usize,
    #[arg(long, default_value_t = 30_000)]
    pub macro_period_ms: u64,
    /// Behaviour weights (TOML, `behaviour = weight`); the shipped default mix otherwise.
    #[arg(long)]
    pub mix: Option<PathBuf>,
    /// Seed of the bots' choices; the same seed and prefix play the same accounts again.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Prefix of the bots' device ids (and of the clans they found).
    #[arg(long, default_value = "bot")]
    pub accounts: String,
    /// Milliseconds before a request is sent again with the same seq.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw throughput, latency and errors over time to FILE.png and FILE.svg.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// A server's admin base URL (its admin listener, e.g. http://127.0.0.1:9090); repeat it for each server
    /// the bots play against: every actor is passivated before the check, so it compares
    /// the ledgers with what storage holds.
    #[arg(long = "admin-url")]
    pub admin_urls: Vec<String>,
    /// The admin bearer token.
    #[arg(long, env = "SUMMONER_ADMIN__TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Skip the consistency check.
    #[arg(long)]
    pub no_check: bool,
    /// No live display (for logs and CI).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `summoner-bots` with `args`.
pub fn run(args: &BotsArgs) -> ExitCode {
    let mix = match &args.mix {
        Some(path) => match Mix::load(path) {
            Ok(mix) => mix,
            Err(e) => return fail(&e.to_string()),
        },
        None => Mix::default_mix(),
    };
    if !(args.rate.is_finite() && args.rate > 0.0) {
        return fail("--rate must be a positive number of requests per second");
    }
    if args.bots == 0 {
        return fail("--bots must be at least 1");
    }
    if args.macro_bots > args.bots {
        return fail("--macro-bots must be at most --bots");
    }
    if !args.admin_urls.is_empty() && args.admin_token.as_deref().is_none_or(str::is_empty) {
        return fail("--admin-url needs --admin-token (or SUMMONER_ADMIN__TOKEN, as the server reads it)");
    }
    let options = SwarmOptions {
        urls: args.urls.clone(),
        bots: args.bots,
        duration: Duration::from_secs(args.duration),
        ramp_up: Duration::from_secs(args.ramp_up),
        pacing: if args.closed_loop {
            Pacing::ClosedLoop
        } else if args.human {
            Pacing::Human
        } else {
            Pacing::Rate(args.rate)
        },
        macro_bots: args.macro_bots,
        macro_period: Duration::from_millis(args.macro_period_ms.max(1)),
        mix,
        seed: args.seed,
        account_prefix: args.accounts.clone(),
        request_timeout: Duration::from_millis(args.timeout_ms.max(1)),
        ..SwarmOptions::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start a runtime: {e}")),
    };
    if args.urls.len() > 1 && !args.admin_urls.is_empty() && args.admin_urls.len() != args.urls.len() {
        return fail("give one --admin-url per --url (each server's actors are passivated before the check)");
    }
    if let Some(token) = &args.admin_token {
        for url in &args.admin_urls {
            if let Err(e) = runtime.block_on(admin(url, token, Method::Probe)) {
                return fail(&e);
            }
        }
    }
    let (report, late_failure) = match runtime.block_on(swarm(args, &options)) {
        Ok(done) => done,
        Err(e) => return fail(&e),
    };
    print!("{}", report.text());
    // What goes wrong after the run fails it (exit 1), with the report printed first.
    let mut failed = !report.passed;
    if let Some(e) = late_failure {
        eprintln!("summoner-bots: {e}");
        failed = true;
    }
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json).map_err(|e| e.to_string()));
        match written {
            Ok(()) => println!("report written to {}", path.display()),
            Err(e) => {
                eprintln!("summoner-bots: cannot write {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if let Some(stem) = &args.chart {
        let title = format!("summoner-bots: {} bots, {}", report.bots, report.pacing);
        match chart::draw(stem, &title, &report.timeline) {
            Ok([png, svg]) => println!("chart written to {} and {}", png.display(), svg.display()),
            Err(e) => {
                eprintln!("summoner-bots: {e}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// Runs the swarm; answers the report and, when the check could not be made as asked, why.
async fn swarm(args: &BotsArgs, options: &SwarmOptions) -> Result<(SwarmReport, Option<String>), String> {
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").map_err(|e| e.to_string())?);
    let last = AtomicU64::new(0);
    let total = options.bots;
    let show = |stats: &Stats| {
        let requests = stats.requests.load(Ordering::Relaxed);
        let per_sec = requests.saturating_sub(last.swap(requests, Ordering::Relaxed));
        bar.set_message(format!(
            "bots up {}/{total}, {per_sec} requests/s, {requests} requests, errors {}, p99 so far {:.1} ms",
            stats.bots_up.load(Ordering::Relaxed),
            stats.errors.load(Ordering::Relaxed),
            stats.p99_ms()
        ));
        bar.tick();
    };
    let mut played = play(options, show).await.map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let report =
        |played: &Played, consistency| SwarmReport::new(options, played.failed_to_start, &played.figures, consistency);
    if args.no_check {
        return Ok((report(&played, None), None));
    }
    eprintln!("letting deliveries between bots arrive...");
    played.settle().await;
    if let Some(token) = &args.admin_token {
        for url in &args.admin_urls {
            match admin(url, token, Method::Passivate).await {
                Ok(answer) => eprintln!("passivated the actors of {url} ({answer}): the check reads storage"),
                Err(e) => return Ok((report(&played, None), Some(format!("{e}; the check was not made")))),
            }
        }
    }
    eprintln!("checking every bot's state against its ledger...");
    let consistency = played.check().await;
    Ok((report(&played, Some(consistency)), None))
}

/// What is asked of the admin endpoint.
enum Method {
    /// Whether the URL and token work (before the run).
    Probe,
    /// Every actor passivated.
    Passivate,
}

/// Calls the server's admin endpoint; answers its body.
async fn admin(base_url: &str, token: &str, method: Method) -> Result<String, String> {
    let base = base_url.trim_end_matches('/');
    let http = reqwest::Client::new();
    let (url, request) = match method {
        Method::Probe => {
            let url = format!("{base}/admin/gamedata");
            (url.clone(), http.get(url))
        }
        Method::Passivate => {
            let url = format!("{base}/admin/actors/passivate");
            (url.clone(), http.post(url))
        }
    };
    let reply = request
        .bearer_auth(token)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| format!("the admin endpoint {url} does not answer: {e}"))?;
    let status = reply.status();
    let body = reply.text().await.map_err(|e| format!("cannot read the answer of {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {}", body.trim()));
    }
    Ok(body.trim().to_owned())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("summoner-bots: {message}");
    ExitCode::from(2)
}
