//! A swarm's report: the figures of the load phase per operation and over time, errors by
//! HTTP status and by error code, and the consistency check; as text for people and as
//! JSON (`--json`) for machines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;
use summoner_proto::api::ErrorCode;

use crate::stats::Snapshot;
use crate::{Consistency, Pacing, SwarmOptions};

/// Latency percentiles of a set of requests, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// One operation's line.
#[derive(Debug, Clone, Serialize)]
pub struct OperationLine {
    pub operation: String,
    pub requests: u64,
    pub ok: u64,
    pub refused: u64,
    pub errors: u64,
    pub latency: Latency,
}

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct SecondLine {
    pub second: usize,
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

/// The steady part of a run: from the end of the ramp-up to the deadline, when every bot
/// plays the mix (registrations and first readings are over).
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub from_sec: usize,
    pub to_sec: usize,
    pub requests: u64,
    pub requests_per_sec: f64,
    pub errors: u64,
    pub latency: Latency,
}

impl Window {
    fn of(seconds: &[crate::stats::Second], from_sec: usize, to_sec: usize) -> Self {
        let mut merged = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds");
        let mut errors = 0;
        let span = seconds.get(from_sec.min(seconds.len())..to_sec.min(seconds.len())).unwrap_or(&[]);
        for s in span {
            let _ = merged.add(&s.latency_us);
            errors += s.errors;
        }
        let width = to_sec.saturating_sub(from_sec).max(1) as f64;
        Self {
            from_sec,
            to_sec,
            requests: merged.len(),
            requests_per_sec: merged.len() as f64 / width,
            errors,
            latency: Latency::of(&merged),
        }
    }
}

/// Everything a run measured and checked.
#[derive(Debug, Clone, Serialize)]
pub struct SwarmReport {
    pub urls: Vec<String>,
    pub bots: usize,
    pub bots_failed_to_start: usize,
    /// Requests per second per bot, or "closed loop".
    pub pacing: String,
    pub seed: u64,
    pub elapsed_secs: f64,
    /// The figures of the mix, once every bot plays.
    pub steady: Window,
    /// The whole run from here on: start-up, play, and the last answers after the deadline.
    pub requests: u64,
    pub requests_per_sec: f64,
    pub ok: u64,
    pub refused: u64,
    pub errors: u64,
    pub retries: u64,
    pub latency: Latency,
    pub operations: Vec<OperationLine>,
    /// Errors by HTTP status (0: no answer) and by error code.
    pub errors_by_status: BTreeMap<String, u64>,
    pub errors_by_code: BTreeMap<String, u64>,
    /// Refusals by game rules, by error code: the bots' knowledge was stale (not errors).
    pub refusals_by_code: BTreeMap<String, u64>,
    /// The answers that made a bot send again, as "status code" (0: no answer).
    pub resent_after: BTreeMap<String, u64>,
    pub timeline: Vec<SecondLine>,
    /// Absent when the run skipped the check.
    pub consistency: Option<Consistency>,
    /// No error, every bot started, and the check (if run) clean.
    pub passed: bool,
}

fn code_name(code: i32) -> String {
    ErrorCode::try_from(code).map_or_else(|_| format!("code {code}"), |c| c.as_str_name().to_owned())
}

impl SwarmReport {
    pub fn new(
        options: &SwarmOptions,
        failed_to_start: usize,
        figures: &Snapshot,
        consistency: Option<Consistency>,
    ) -> Self {
        let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds");
        let (mut ok, mut refused, mut errors) = (0, 0, 0);
        let operations = figures
            .operations
            .iter()
            .map(|(name, op)| {
                let _ = all.add(&op.latency_us);
                (ok, refused, errors) = (ok + op.ok, refused + op.refused, errors + op.errors);
                OperationLine {
                    operation: (*name).to_owned(),
                    requests: op.latency_us.len(),
                    ok: op.ok,
                    refused: op.refused,
                    errors: op.errors,
                    latency: Latency::of(&op.latency_us),
                }
            })
            .collect();
        let timeline = figures
            .seconds
            .iter()
            .enumerate()
            .map(|(second, s)| SecondLine {
                second,
                requests: s.latency_us.len(),
                p50_ms: s.latency_us.value_at_quantile(0.5) as f64 / 1000.0,
                p99_ms: s.latency_us.value_at_quantile(0.99) as f64 / 1000.0,
                errors: s.errors,
            })
            .collect();
        let elapsed_secs = figures.elapsed.as_secs_f64();
        // From when every bot is playing: the ramp-up is over and the last start too.
        let ramp = options.ramp_up.max(figures.starts_over).as_secs_f64().ceil() as usize;
        let end = (options.ramp_up + options.duration).as_secs_f64().floor() as usize;
        let steady = Window::of(&figures.seconds, ramp, end.max(ramp + 1));
        let requests = all.len();
        let passed = errors == 0 && failed_to_start == 0 && consistency.as_ref().is_none_or(Consistency::is_clean);
        Self {
            urls: options.urls.clone(),
            bots: options.bots,
            bots_failed_to_start: failed_to_start,
            pacing: match options.pacing {
                Pacing::Rate(r) => format!("{r} requests/s per bot"),
                Pacing::ClosedLoop => "closed loop".into(),
                Pacing::Human => "a person's pace (synthetic)".into(),
            } + &if options.macro_bots > 0 {
                format!(", {} macros every {} ms", options.macro_bots, options.macro_period.as_millis())
            } else {
                String::new()
            },
            seed: options.seed,
            elapsed_secs,
            steady,
            requests,
            requests_per_sec: if elapsed_secs > 0.0 { requests as f64 / elapsed_secs } else { 0.0 },
            ok,
            refused,
            errors,
            retries: figures.retries,
            latency: Latency::of(&all),
            operations,
            errors_by_status: figures.errors_by_status.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            errors_by_code: figures.errors_by_code.iter().map(|(c, n)| (code_name(*c), *n)).collect(),
            refusals_by_code: figures.refusals_by_code.iter().map(|(c, n)| (code_name(*c), *n)).collect(),
            resent_after: figures
                .resent_after
                .iter()
                .map(|((status, code), n)| (format!("{status} {}", code_name(*code)), *n))
                .collect(),
            timeline,
            consistency,
            passed,
        }
    }

    /// The report as a person reads it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let (w, l) = (&self.steady, &self.steady.latency);
        let _ = writeln!(
            out,
            "{} bots ({}), steady from second {} to {}: {:.0} requests/s, p50 {:.2} ms, p95 {:.2} ms, \
             p99 {:.2} ms, max {:.1} ms, {} errors",
            self.bots,
            self.pacing,
            w.from_sec,
            w.to_sec,
            w.requests_per_sec,
            l.p50_ms,
            l.p95_ms,
            l.p99_ms,
            l.max_ms,
            w.errors
        );
        let l = &self.latency;
        let _ = writeln!(
            out,
            "whole run, {:.1} s with the start-up: {} requests, {:.0} requests/s; p50 {:.2} ms, p99 {:.2} ms, \
             max {:.1} ms",
            self.elapsed_secs, self.requests, self.requests_per_sec, l.p50_ms, l.p99_ms, l.max_ms
        );
        let _ = writeln!(
            out,
            "ok {}, refused by game rules {}, errors {}, retries {}, bots that could not start {}",
            self.ok, self.refused, self.errors, self.retries, self.bots_failed_to_start
        );
        let _ = writeln!(
            out,
            "\n{:<24} {:>9} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "operation", "requests", "refused", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for op in &self.operations {
            let l = &op.latency;
            let _ = writeln!(
                out,
                "{:<24} {:>9} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.1}",
                op.operation, op.requests, op.refused, op.errors, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
            );
        }
        for (title, table) in [
            ("errors by HTTP status (0: no answer)", &self.errors_by_status),
            ("errors by code", &self.errors_by_code),
            ("refusals by code", &self.refusals_by_code),
            ("sent again after (status code)", &self.resent_after),
        ] {
            if !table.is_empty() {
                let items: Vec<String> = table.iter().map(|(k, n)| format!("{k}: {n}")).collect();
                let _ = writeln!(out, "\n{title}: {}", items.join(", "));
            }
        }
        match &self.consistency {
            None => {
                let _ = writeln!(out, "\nconsistency: not checked");
            }
            Some(c) => {
                let _ = writeln!(
                    out,
                    "\nconsistency: {} bots checked, {} differences, {} unverifiable, {} deliveries received",
                    c.bots_checked,
                    c.differences.len(),
                    c.unverifiable.len(),
                    c.deliveries_received
                );
                for d in c.differences.iter().take(20) {
                    let _ = writeln!(out, "  {} write, user {} {}: {}", d.kind, d.user_id, d.part, d.detail);
                }
                for (bot, why) in c.unverifiable.iter().take(20) {
                    let _ = writeln!(out, "  bot {bot} unverifiable: {why}");
                }
            }
        }
        let _ = writeln!(out, "\n{}", if self.passed { "PASSED" } else { "FAILED" });
        out
    }
}
