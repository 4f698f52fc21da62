//! `summoner bots`: runs a swarm from the command line with a live display (indicatif),
//! passivates the server's actors through its admin endpoint when given one, checks, and
//! prints and writes the report.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::bots::mix::Mix;
use crate::bots::report::SwarmReport;
use crate::bots::stats::Stats;
use crate::bots::{Pacing, SwarmOptions, chart, play};
use crate::cli::BotsArgs;

/// Runs `summoner bots` with `args`.
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
    if args.admin_url.is_some() && args.admin_token.as_deref().is_none_or(str::is_empty) {
        return fail("--admin-url needs --admin-token (or SUMMONER_ADMIN__TOKEN, as the server reads it)");
    }
    let options = SwarmOptions {
        urls: args.urls.clone(),
        bots: args.bots,
        duration: Duration::from_secs(args.duration),
        ramp_up: Duration::from_secs(args.ramp_up),
        pacing: if args.closed_loop { Pacing::ClosedLoop } else { Pacing::Rate(args.rate) },
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
    let report = match runtime.block_on(swarm(args, &options)) {
        Ok(report) => report,
        Err(e) => return fail(&e),
    };
    print!("{}", report.text());
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json).map_err(|e| e.to_string()));
        if let Err(e) = written {
            return fail(&format!("cannot write {}: {e}", path.display()));
        }
        println!("report written to {}", path.display());
    }
    if let Some(stem) = &args.chart {
        let title = format!("summoner bots: {} bots, {}", report.bots, report.pacing);
        match chart::draw(stem, &title, &report.timeline) {
            Ok([png, svg]) => println!("chart written to {} and {}", png.display(), svg.display()),
            Err(e) => return fail(&e.to_string()),
        }
    }
    if report.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn swarm(args: &BotsArgs, options: &SwarmOptions) -> Result<SwarmReport, String> {
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
    if args.no_check {
        return Ok(SwarmReport::new(options, played.failed_to_start, &played.figures, None));
    }
    eprintln!("letting deliveries between bots arrive...");
    played.settle().await;
    if let (Some(url), Some(token)) = (&args.admin_url, &args.admin_token) {
        let passivated = passivate(url, token).await?;
        eprintln!("passivated {passivated} actors: the check reads storage");
    }
    eprintln!("checking every bot's state against its ledger...");
    let consistency = played.check().await;
    Ok(SwarmReport::new(options, played.failed_to_start, &played.figures, Some(consistency)))
}

/// Asks the server to passivate every actor; returns how many retired.
async fn passivate(base_url: &str, token: &str) -> Result<u64, String> {
    let url = format!("{}/admin/actors/passivate", base_url.trim_end_matches('/'));
    let reply = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| format!("cannot passivate the actors ({url}): {e}"))?;
    let status = reply.status();
    let body = reply.text().await.map_err(|e| format!("cannot read the answer of {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {body}"));
    }
    let answer: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{url} answered {body:?}: {e}"))?;
    Ok(answer["passivated"].as_u64().unwrap_or(0))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("summoner bots: {message}");
    ExitCode::from(2)
}
