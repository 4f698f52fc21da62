//! The end-to-end benchmark: the bot swarm (`summoner_bots`, the default mix) in this
//! process against the release `summoner` binary, on PostgreSQL (2 game and 2 log shards)
//! with two Redis shards and then on the embedded default, everything on this machine; and
//! against several nodes on PostgreSQL behind nginx (`nginx1`: one node, to tell nginx's
//! cost; `nginx3`: three, run by `deploy/local-cluster.sh`).
//!
//! Per target, over the steady part of the run (after the ramp-up, when every bot plays the
//! mix): requests/s, p50/p99 (from the intended send time), errors, CPU per request of the
//! server, PostgreSQL, Redis and the swarm (from /proc, sampled at the ramp-up's end and at
//! the deadline, divided by the requests answered between); over the same window the server's
//! thread wake-ups (voluntary context switches of its threads alive at each edge, /proc), heap
//! allocations (`summoner_allocations_total`) and database statements
//! (`summoner_statements_total`) per request, and per operation the latency (p50/p99 over
//! the whole run) and statements per request; the server's RSS and its growth
//! since before the bots came, per live user actor (connections, caches and allocator slack
//! included); the game shards' mean batch over the whole run (start-ups included); and the
//! consistency check (after every actor was passivated, so it reads storage). Behind nginx
//! also: nginx's CPU per request, the share of requests a node forwarded to the owner of
//! their user, lease renewals per second, and the failover probe (a node killed with
//! `kill -9`, then one frozen with SIGSTOP: the time until the last of its users is served
//! again through nginx). Results go to
//! `results.md` and `results.json`, charts to `<target>.png` / `.svg`, in
//! `SUMMONER_E2E_OUT` (default `target/e2e`).
//!
//! `--compare BEFORE` (or `SUMMONER_E2E_COMPARE=BEFORE`), with BEFORE the absolute path of
//! another build's `summoner` binary: each single-node target runs on BEFORE and on this build
//! back to back, `SUMMONER_E2E_PASSES` times (an even number, default 2: the order alternates
//! each pass, so each build goes first as often), and a table gives the median ratio of this
//! build to BEFORE for requests/s, p50, p99, the server's and PostgreSQL's CPU per request,
//! wake-ups, allocations and statements per request (n/a where BEFORE counts none), with both
//! builds' errors. The swarm is this build's: BEFORE must take its bench
//! configuration, protocol and game data. `nginx1` and `nginx3` are refused with `--compare`.
//! This machine is shared and noisy: a ratio within a few percent of 1 is no change.
//!
//! Run `benches/e2e/run.sh` (it checks the services first), or `cargo bench --bench e2e`.
//! Settings from the environment: `SUMMONER_E2E_TARGETS` (`postgres,embedded`; also
//! `nginx1`, `nginx3`),
//! `SUMMONER_E2E_BOTS` (2000), `SUMMONER_E2E_SECONDS` (60, after the ramp-up),
//! `SUMMONER_E2E_RAMP` (20 s), `SUMMONER_E2E_RATE` (requests/s per bot, or `closed` for a
//! closed loop; default 0.07: open loop, each bot's requests sent at their intended times,
//! e.g. 20,000 bots × 0.25 = 5,000 requests/s), `SUMMONER_BENCH_POSTGRES_URL`, `SUMMONER_BENCH_REDIS_URLS`.

use std::time::Duration;

use futures_util::future::join_all;
use summoner_bots::report::SwarmReport;
use summoner_bots::{Pacing, SwarmOptions, chart, play};

#[path = "../support/cluster.rs"]
mod cluster;
#[path = "../support/scratch.rs"]
mod scratch;
#[path = "../support/server.rs"]
mod server;
use cluster::{Cluster, Failover, failover};
use server::{Server, Storage, game_batches, metrics, sample, value};

const ADMIN_TOKEN: &str = "e2e-bench";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn number<T: std::str::FromStr>(name: &str, default: &str) -> T {
    env_or(name, default).parse().unwrap_or_else(|_| panic!("{name} must be a number"))
}

/// One target's figures.
#[derive(Debug, serde::Serialize)]
struct Row {
    target: String,
    bots: usize,
    pacing: String,
    seconds: f64,
    requests: u64,
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    refused: u64,
    server_cpu_us_per_request: f64,
    /// `None` on the embedded target (it uses neither).
    postgres_cpu_us_per_request: Option<f64>,
    redis_cpu_us_per_request: Option<f64>,
    swarm_cpu_us_per_request: f64,
    /// The server's threads put to sleep and woken again (voluntary context switches).
    server_wakeups_per_request: f64,
    /// Heap allocations of the server (`summoner_allocations_total`); `None` for a build
    /// that does not count them.
    allocations_per_request: Option<f64>,
    /// Statements the databases ran for the server (`summoner_statements_total`), over the
    /// requests answered; `None` for a build that does not count them.
    statements_per_request: Option<f64>,
    /// Per operation: latency over the whole run (from the swarm), statements per request
    /// over the steady window (from the server).
    operations: Vec<OperationRow>,
    /// Behind nginx only.
    nginx_cpu_us_per_request: Option<f64>,
    /// Requests a node sent on to the owner of their user, over the swarm's requests (the
    /// whole run, start-up included).
    forwarded_share: Option<f64>,
    /// Every node's renewals together, over the whole run.
    lease_renewals_per_sec: Option<f64>,
    failovers: Vec<Failover>,
    server_rss_mib: f64,
    live_actors: f64,
    rss_growth_bytes_per_actor: f64,
    mean_game_batch: f64,
    mean_game_commit_ms: f64,
    consistency_clean: bool,
    differences: usize,
    unverifiable: usize,
    deliveries_received: u64,
}

/// One operation's figures in a target.
#[derive(Debug, serde::Serialize)]
struct OperationRow {
    operation: String,
    requests: u64,
    p50_ms: f64,
    p99_ms: f64,
    statements_per_request: Option<f64>,
}

/// What the server had counted at one edge of the steady window.
struct Mark {
    cpu: server::CpuSample,
    requests: u64,
    metrics: Vec<String>,
}

/// Per operation (the `op` label), the sum of the samples of `family` in `texts`.
fn by_operation(texts: &[String], family: &str) -> std::collections::HashMap<String, f64> {
    let mut sums = std::collections::HashMap::new();
    for line in texts.iter().flat_map(|t| t.lines()) {
        let Some(labels) = line.strip_prefix(family).and_then(|l| l.strip_prefix('{')) else { continue };
        let Some(op) = labels.split_once("op=\"").and_then(|(_, rest)| rest.split_once('"')).map(|(op, _)| op) else {
            continue;
        };
        *sums.entry(operation_key(op)).or_insert(0.0) += value(line);
    }
    sums
}

/// An operation's name as both sides can match it: the server labels `GetUser`, the swarm
/// names `get_user`.
fn operation_key(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// Whether every node's text in `texts` has a sample of `family` (a failed scrape is empty).
fn every_node_exports(texts: &[String], family: &str) -> bool {
    !texts.is_empty() && texts.iter().all(|t| t.lines().any(|l| l.starts_with(family)))
}

/// The sum over `texts` of the samples whose line starts with `prefix`.
fn total(texts: &[String], prefix: &str) -> f64 {
    texts.iter().flat_map(|t| t.lines()).filter(|l| l.starts_with(prefix)).map(value).sum()
}

async fn metrics_of(urls: &[String]) -> Vec<String> {
    join_all(urls.iter().map(|u| metrics(u))).await
}

/// What the swarm plays against: one server, or nodes behind nginx.
enum Deployed {
    Single(Server),
    Behind(Cluster),
}

impl Deployed {
    /// The base URL clients use.
    fn url(&self) -> &str {
        match self {
            Deployed::Single(s) => &s.url,
            Deployed::Behind(c) => &c.url,
        }
    }

    fn admin_urls(&self) -> Vec<String> {
        match self {
            Deployed::Single(s) => vec![s.admin_url.clone()],
            Deployed::Behind(c) => c.admin_urls.clone(),
        }
    }

    fn pids(&self) -> Vec<u32> {
        match self {
            Deployed::Single(s) => vec![s.pid],
            Deployed::Behind(c) => c.pids(),
        }
    }

    fn rss_bytes(&self) -> u64 {
        match self {
            Deployed::Single(s) => s.rss_bytes(),
            Deployed::Behind(c) => c.rss_bytes(),
        }
    }
}

async fn game_batches_of(urls: &[String]) -> (f64, f64, f64) {
    let all = join_all(urls.iter().map(|u| game_batches(u))).await;
    all.into_iter().fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
}

/// Which build a run measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build<'a> {
    /// The binary this bench was built with.
    This,
    /// Another build's binary, for `--compare`.
    Before(&'a std::path::Path),
}

/// Runs the swarm against target `target` of `build`; the row is named `name`, and `name`
/// (letters, digits and `_`) names the run's databases and keys.
async fn run_target(
    target: &str,
    name: &str,
    build: Build<'_>,
    storage: &Storage,
    options: &SwarmOptions,
    out: &std::path::Path,
) -> Row {
    let run = format!("sbe_{}_{name}", std::process::id());
    let deployed = match (target, build) {
        ("nginx1", Build::This) => Deployed::Behind(Cluster::start(storage, &run, ADMIN_TOKEN, 1)),
        ("nginx3", Build::This) => Deployed::Behind(Cluster::start(storage, &run, ADMIN_TOKEN, 3)),
        ("nginx1" | "nginx3", Build::Before(_)) => panic!("--compare runs the single-node targets only"),
        (_, Build::This) => Deployed::Single(Server::start(storage, &run, ADMIN_TOKEN).await),
        (_, Build::Before(binary)) => Deployed::Single(Server::start_binary(binary, storage, &run, ADMIN_TOKEN).await),
    };
    let admin_urls = deployed.admin_urls();
    let options =
        SwarmOptions { urls: vec![format!("{}/api", deployed.url())], account_prefix: run.clone(), ..options.clone() };
    println!("{name}: {} bots, {:?}, against {}", options.bots, options.pacing, deployed.url());
    let rss_before = deployed.rss_bytes();
    let batches_before = game_batches_of(&admin_urls).await;
    let (steady_from, steady_to) = (options.ramp_up, options.ramp_up + options.duration);
    let marks: std::sync::Mutex<Vec<Mark>> = std::sync::Mutex::new(Vec::new());
    let (pids, bots) = (deployed.pids(), options.bots);
    let mut played = play(&options, |stats| {
        let elapsed = stats.started().elapsed();
        let mut marks = marks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The window opens once the ramp-up is over and every bot's start too.
        let all_started = stats.starts_done.load(std::sync::atomic::Ordering::Relaxed) == bots as u64;
        let due = match marks.len() {
            0 => elapsed >= steady_from && all_started,
            1 => elapsed >= steady_to,
            _ => false,
        };
        if due {
            // A blocking read inside the runtime: its worker is handed over meanwhile.
            let metrics: Vec<String> =
                tokio::task::block_in_place(|| admin_urls.iter().map(|u| server::metrics_blocking(u)).collect());
            if metrics.iter().any(String::is_empty) {
                eprintln!("{name}: a /metrics read failed at an edge of the window: its counts are left out");
            }
            let requests = stats.requests.load(std::sync::atomic::Ordering::Relaxed);
            marks.push(Mark { cpu: sample(&pids), requests, metrics });
        }
    })
    .await
    .expect("the swarm runs");
    let marks = marks.into_inner().unwrap_or_default();
    let [first, last] = &marks[..] else { panic!("the run ended before its steady window did") };
    let (before, after) = (&first.cpu, &last.cpu);
    let (requests_before, requests_after) = (first.requests, last.requests);
    // The cluster's counters are read after the run: their change over the whole run, over
    // the requests of the whole run.
    let texts = metrics_of(&admin_urls).await;
    let batches_after = game_batches_of(&admin_urls).await;
    let rss_after = deployed.rss_bytes();
    let actors = total(&texts, "summoner_live_user_actors ");
    played.settle().await;
    for admin_url in &admin_urls {
        let passivated = reqwest::Client::new()
            .post(format!("{admin_url}/admin/actors/passivate"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("every actor is passivated");
        let passivated: serde_json::Value = passivated.json().await.expect("the passivation's answer");
        println!("{name}: passivated {passivated} before the check");
    }
    let consistency = played.check().await;
    let report = SwarmReport::new(&options, played.failed_to_start, &played.figures, Some(consistency));
    let stem = out.join(name);
    chart::draw(&stem, &format!("summoner e2e, {name}: {} bots, {}", report.bots, report.pacing), &report.timeline)
        .expect("the chart is drawn");
    std::fs::write(stem.with_extension("report.txt"), report.text()).expect("report written");
    let answered = requests_after.saturating_sub(requests_before);
    let per_answer = |a: f64, b: f64| if answered == 0 { 0.0 } else { (a - b) / answered as f64 };
    // CPU seconds as microseconds per request.
    let per_request = |a: f64, b: f64| per_answer(a, b) * 1e6;
    let remote = matches!(storage, Storage::Postgres { .. });
    let batches = batches_after.1 - batches_before.1;
    let c = report.consistency.as_ref().expect("checked");
    let behind = matches!(deployed, Deployed::Behind(_));
    let whole_run = played.figures.operations.values().map(|o| o.ok + o.refused + o.errors).sum::<u64>() as f64;
    // A scrape that failed at either edge leaves the figure out rather than count a
    // counter's whole life over the window's requests.
    let both = |family: &str| every_node_exports(&first.metrics, family) && every_node_exports(&last.metrics, family);
    let counted = |family: &str| {
        (both(family) && answered > 0).then(|| per_answer(total(&last.metrics, family), total(&first.metrics, family)))
    };
    let statements = |texts: &[String]| by_operation(texts, "summoner_statements_total");
    let served = |texts: &[String]| by_operation(texts, "summoner_requests_total");
    let (statements_from, statements_to) = (statements(&first.metrics), statements(&last.metrics));
    let (served_from, served_to) = (served(&first.metrics), served(&last.metrics));
    let operations = report
        .operations
        .iter()
        .map(|o| {
            let delta = |m: &std::collections::HashMap<String, f64>, n: &std::collections::HashMap<String, f64>| {
                let key = operation_key(&o.operation);
                m.get(&key).copied().unwrap_or(0.0) - n.get(&key).copied().unwrap_or(0.0)
            };
            let requests = delta(&served_to, &served_from);
            OperationRow {
                operation: o.operation.clone(),
                requests: o.requests,
                p50_ms: o.latency.p50_ms,
                p99_ms: o.latency.p99_ms,
                statements_per_request: (both("summoner_statements_total") && requests > 0.0)
                    .then(|| delta(&statements_to, &statements_from) / requests),
            }
        })
        .collect();
    let failovers = match &deployed {
        Deployed::Behind(cluster) if cluster.nodes >= 2 => {
            vec![failover(cluster, "kill", 20, &run).await, failover(cluster, "pause", 20, &run).await]
        }
        _ => Vec::new(),
    };
    Row {
        target: name.to_owned(),
        bots: report.bots,
        pacing: report.pacing.clone(),
        seconds: (report.steady.to_sec - report.steady.from_sec) as f64,
        requests: report.steady.requests,
        requests_per_sec: report.steady.requests_per_sec,
        p50_ms: report.steady.latency.p50_ms,
        p99_ms: report.steady.latency.p99_ms,
        errors: report.errors,
        refused: report.refused,
        server_cpu_us_per_request: per_request(after.server, before.server),
        postgres_cpu_us_per_request: remote.then(|| per_request(after.postgres, before.postgres)),
        redis_cpu_us_per_request: remote.then(|| per_request(after.redis, before.redis)),
        swarm_cpu_us_per_request: per_request(after.load, before.load),
        // Threads that exited in the window take their switches with them: never below 0.
        server_wakeups_per_request: per_answer(after.server_wakeups, before.server_wakeups).max(0.0),
        allocations_per_request: counted("summoner_allocations_total"),
        statements_per_request: counted("summoner_statements_total"),
        operations,
        nginx_cpu_us_per_request: behind.then(|| per_request(after.nginx, before.nginx)),
        // Every forward once, by its outcome; a hand-over is counted besides its answer.
        forwarded_share: behind.then(|| {
            let forwards = total(&texts, "summoner_forwards_total")
                - total(&texts, "summoner_forwards_total{outcome=\"handed_over\"}");
            forwards / whole_run.max(1.0)
        }),
        lease_renewals_per_sec: behind
            .then(|| total(&texts, "summoner_lease_renewals_total") / played.figures.elapsed.as_secs_f64()),
        failovers,
        server_rss_mib: rss_after as f64 / (1 << 20) as f64,
        live_actors: actors,
        rss_growth_bytes_per_actor: if actors > 0.0 {
            rss_after.saturating_sub(rss_before) as f64 / actors
        } else {
            0.0
        },
        mean_game_batch: if batches > 0.0 { (batches_after.0 - batches_before.0) / batches } else { 0.0 },
        mean_game_commit_ms: if batches > 0.0 { (batches_after.2 - batches_before.2) * 1000.0 / batches } else { 0.0 },
        consistency_clean: c.is_clean(),
        differences: c.differences.len(),
        unverifiable: c.unverifiable.len(),
        deliveries_received: c.deliveries_received,
    }
}

fn main() {
    let targets = env_or("SUMMONER_E2E_TARGETS", "postgres,embedded");
    let pacing = match env_or("SUMMONER_E2E_RATE", "0.07").as_str() {
        "closed" => Pacing::ClosedLoop,
        rate => Pacing::Rate(rate.parse().expect("SUMMONER_E2E_RATE is a number or `closed`")),
    };
    let options = SwarmOptions {
        bots: number("SUMMONER_E2E_BOTS", "2000"),
        duration: Duration::from_secs(number("SUMMONER_E2E_SECONDS", "60")),
        ramp_up: Duration::from_secs(number("SUMMONER_E2E_RAMP", "20")),
        pacing,
        ..SwarmOptions::default()
    };
    let out = std::path::PathBuf::from(env_or("SUMMONER_E2E_OUT", "target/e2e"));
    std::fs::create_dir_all(&out).expect("output folder");
    let postgres = Storage::Postgres {
        base: env_or("SUMMONER_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        redis: env_or("SUMMONER_BENCH_REDIS_URLS", "redis://127.0.0.1:6379,redis://127.0.0.1:6380")
            .split(',')
            .map(str::to_owned)
            .collect(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let before = compare_with();
    let passes: usize = if before.is_some() { number("SUMMONER_E2E_PASSES", "2") } else { 0 };
    if before.is_some() {
        assert!(passes > 0 && passes.is_multiple_of(2), "SUMMONER_E2E_PASSES must be even (each build first as often)");
        let clusters = targets.split(',').map(str::trim).filter(|t| t.starts_with("nginx")).collect::<Vec<_>>();
        assert!(clusters.is_empty(), "--compare runs single-node targets only, not {clusters:?}");
    }
    let mut rows = Vec::new();
    let mut compared = Vec::new();
    for target in targets.split(',').map(str::trim) {
        let storage = match target {
            "postgres" | "nginx1" | "nginx3" => &postgres,
            "embedded" => &Storage::Embedded,
            other => panic!("unknown target {other:?} (postgres, embedded, nginx1, nginx3)"),
        };
        let Some(before) = before.as_deref() else {
            let row = runtime.block_on(run_target(target, target, Build::This, storage, &options, &out));
            println!("{row:#?}");
            rows.push(row);
            write_rows(&out, &rows);
            continue;
        };
        let mut pairs = Vec::new();
        for pass in 1..=passes {
            // Alternate which build goes first, so a drift of the machine falls on both.
            let builds = if pass % 2 == 1 {
                [("before", Build::Before(before)), ("after", Build::This)]
            } else {
                [("after", Build::This), ("before", Build::Before(before))]
            };
            let mut pair: [Option<Row>; 2] = [None, None];
            for (label, build) in builds {
                let name = format!("{target}_{label}_{pass}");
                let row = runtime.block_on(run_target(target, &name, build, storage, &options, &out));
                println!("{row:#?}");
                pair[usize::from(label == "after")] = Some(row);
            }
            let [Some(b), Some(a)] = pair else { unreachable!("both builds ran") };
            pairs.push((ratios(&b, &a), b.consistency_clean && a.consistency_clean, (b.errors, a.errors)));
            rows.push(b);
            rows.push(a);
            // What ran is kept if a later run fails.
            write_rows(&out, &rows);
        }
        compared.push((target.to_owned(), pairs));
    }
    write_rows(&out, &rows);
    let mut md = String::from(
        "Steady window (after the ramp-up and every bot's start); errors and batches over the whole run.\n\n\
         | target | bots | requests/s | p50 ms | p99 ms | errors | server CPU µs/req | PostgreSQL µs/req | Redis µs/req | nginx µs/req | swarm µs/req | server wake-ups/req | allocations/req | statements/req | server RSS MiB | live actors | RSS growth bytes/actor | jobs per game batch (whole run) | game batch ms (whole run) | forwarded | lease renewals/s | consistency |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let or_na = |v: Option<f64>, digits: usize| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"));
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {} | {} | {} | {:.0} | {:.1} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.2} | {} | {} | {} |\n",
            r.target,
            r.bots,
            r.requests_per_sec,
            r.p50_ms,
            r.p99_ms,
            r.errors,
            r.server_cpu_us_per_request,
            or_na(r.postgres_cpu_us_per_request, 0),
            or_na(r.redis_cpu_us_per_request, 0),
            or_na(r.nginx_cpu_us_per_request, 0),
            r.swarm_cpu_us_per_request,
            r.server_wakeups_per_request,
            or_na(r.allocations_per_request, 0),
            or_na(r.statements_per_request, 2),
            r.server_rss_mib,
            r.live_actors,
            r.rss_growth_bytes_per_actor,
            r.mean_game_batch,
            r.mean_game_commit_ms,
            r.forwarded_share.map_or_else(|| "n/a".to_owned(), |v| format!("{:.2}%", v * 100.0)),
            or_na(r.lease_renewals_per_sec, 1),
            if r.consistency_clean {
                "clean".to_owned()
            } else {
                format!("{} differences, {} unverifiable", r.differences, r.unverifiable)
            },
        ));
    }
    md.push_str(
        "\nPer operation: latency from the intended send time over the whole run (the swarm's), \
         statements per request over the steady window (the server's count: a request's reads, \
         and its even share of each group-commit batch it was in; on SQLite, where statements run \
         on blocking threads, and for activations and session writes, they count as background).\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "\n{}:\n\n| operation | requests (whole run) | p50 ms (whole run) | p99 ms (whole run) | statements/req (steady window) |\n|---|---|---|---|---|\n",
            r.target
        ));
        for o in &r.operations {
            md.push_str(&format!(
                "| {} | {} | {:.2} | {:.2} | {} |\n",
                o.operation,
                o.requests,
                o.p50_ms,
                o.p99_ms,
                or_na(o.statements_per_request, 2)
            ));
        }
    }
    let failovers: Vec<(&str, &Failover)> =
        rows.iter().flat_map(|r| r.failovers.iter().map(move |f| (r.target.as_str(), f))).collect();
    if !failovers.is_empty() {
        md.push_str(
            "\nFailover: node 2 failed under no load; its probe users, each sending GetUser again (same seq) \
             until answered through nginx.\n\n| target | failure | its users | first served ms | median ms | last served ms |\n|---|---|---|---|---|---|\n",
        );
        for (target, f) in failovers {
            md.push_str(&format!(
                "| {target} | {} | {} | {:.0} | {:.0} | {:.0} |\n",
                f.how, f.users, f.first_served_ms, f.median_served_ms, f.last_served_ms
            ));
        }
    }
    if let Some(before) = &before {
        md.push_str(&comparison(before, &compared));
    }
    std::fs::write(out.join("results.md"), &md).expect("written");
    println!("\n{md}\n(results in {})", out.display());
}

/// The rows so far, as `results.json`.
fn write_rows(out: &std::path::Path, rows: &[Row]) {
    std::fs::write(out.join("results.json"), serde_json::to_string_pretty(rows).expect("encode")).expect("written");
}

/// The other build to compare with: `--compare PATH` or `--compare=PATH` (after `--` on
/// cargo's command line), or `SUMMONER_E2E_COMPARE`; an absolute path (cargo runs benches in
/// the package's folder).
fn compare_with() -> Option<std::path::PathBuf> {
    let args: Vec<String> = std::env::args().collect();
    let given = args.iter().position(|a| a == "--compare").map(|i| {
        let path = args.get(i + 1).filter(|p| !p.starts_with("--"));
        path.cloned().expect("--compare takes the absolute path of the other build's summoner binary")
    });
    let given = given.or_else(|| args.iter().find_map(|a| a.strip_prefix("--compare=").map(str::to_owned)));
    let path = given.or_else(|| std::env::var("SUMMONER_E2E_COMPARE").ok().filter(|v| !v.is_empty()))?;
    let path = std::path::PathBuf::from(path);
    assert!(
        path.is_absolute() && path.is_file(),
        "--compare {}: no such binary (give an absolute path)",
        path.display()
    );
    Some(path)
}

/// The measures compared, as (name, this build over the other).
type Ratios = Vec<(&'static str, f64)>;

/// This build's figures over the other's, `after` over `before`.
fn ratios(before: &Row, after: &Row) -> Ratios {
    let over = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let mut out = vec![
        ("requests/s", over(after.requests_per_sec, before.requests_per_sec)),
        ("p50", over(after.p50_ms, before.p50_ms)),
        ("p99", over(after.p99_ms, before.p99_ms)),
        ("server CPU/req", over(after.server_cpu_us_per_request, before.server_cpu_us_per_request)),
    ];
    if let (Some(a), Some(b)) = (after.postgres_cpu_us_per_request, before.postgres_cpu_us_per_request) {
        out.push(("PostgreSQL CPU/req", over(a, b)));
    }
    out.push(("server wake-ups/req", over(after.server_wakeups_per_request, before.server_wakeups_per_request)));
    // An older build may count neither: the ratio is then over nothing.
    let counted = |a: Option<f64>, b: Option<f64>| over(a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN));
    out.push(("allocations/req", counted(after.allocations_per_request, before.allocations_per_request)));
    out.push(("statements/req", counted(after.statements_per_request, before.statements_per_request)));
    out
}

/// The comparison's table: per target and measure, the median ratio over the passes and
/// each pass's.
/// One pass of a comparison: the ratios, whether both runs' consistency checks were clean,
/// and the errors of (before, after).
type Pass = (Ratios, bool, (u64, u64));

/// The comparison's table: per target and measure, the median ratio over the passes (a
/// ratio over nothing left out) and each pass's, with both builds' errors.
fn comparison(before: &std::path::Path, compared: &[(String, Vec<Pass>)]) -> String {
    let mut md = format!(
        "\nThis build over `{}`: median of each pass's ratio (requests/s above 1 is better; the rest below 1).\n\n\
         | target | measure | median | passes | errors before / after | both consistent |\n|---|---|---|---|---|---|\n",
        before.display()
    );
    for (target, passes) in compared {
        let consistent = passes.iter().all(|(_, clean, _)| *clean);
        let errors = passes.iter().fold((0, 0), |sum, (_, _, e)| (sum.0 + e.0, sum.1 + e.1));
        let Some((first, _, _)) = passes.first() else { continue };
        for (i, (measure, _)) in first.iter().enumerate() {
            let each: Vec<f64> = passes.iter().filter_map(|(r, _, _)| r.get(i).map(|m| m.1)).collect();
            let shown: Vec<String> = each.iter().map(|v| format!("{v:.3}")).collect();
            let mut known: Vec<f64> = each.into_iter().filter(|v| v.is_finite()).collect();
            known.sort_by(f64::total_cmp);
            let mid = known.len() / 2;
            let median = match known.len() {
                0 => "n/a".to_owned(),
                n if n.is_multiple_of(2) => format!("{:.3}", (known[mid - 1] + known[mid]) / 2.0),
                _ => format!("{:.3}", known[mid]),
            };
            md.push_str(&format!(
                "| {target} | {measure} | {median} | {} | {} / {} | {} |\n",
                shown.join(", "),
                errors.0,
                errors.1,
                if consistent { "yes" } else { "no" }
            ));
        }
    }
    md
}
