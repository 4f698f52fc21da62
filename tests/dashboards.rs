//! The Grafana dashboard in `deploy/grafana/` asks only for metrics the server exports, and
//! the server exports at least the fifteen families operators rely on.

mod common;

use std::sync::Arc;

use summoner::metrics::METRICS;
use summoner_actors::ManualClock;

use common::{TestServer, config, logged_in};

/// Every `expr` of the dashboard, wherever it sits.
fn expressions(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                    _ => expressions(inner, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| expressions(i, out)),
        _ => {}
    }
}

/// The metric names an expression uses (every identifier starting `summoner_`).
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("summoner_") {
        let tail = &rest[at..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        names.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

/// Whether `name` is an exported family or a histogram's series of one.
fn exported(name: &str) -> bool {
    let families = &METRICS.families;
    families.iter().any(|f| f == name)
        || ["_bucket", "_sum", "_count"]
            .iter()
            .any(|suffix| name.strip_suffix(suffix).is_some_and(|base| families.iter().any(|f| f == base)))
}

#[test]
fn every_dashboard_expression_names_an_exported_metric() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/grafana/summoner.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the dashboard is there")).expect("valid JSON");
    let mut exprs = Vec::new();
    expressions(&dashboard, &mut exprs);
    assert!(exprs.len() >= 15, "the dashboard has {} expressions", exprs.len());
    for expr in &exprs {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{expr:?} names no summoner metric");
        for name in names {
            assert!(exported(&name), "{expr:?} asks for {name}, which the server does not export");
        }
    }
    for wanted in ["requests_total", "errors_total", "live_user_actors", "batch_size", "commit_duration_seconds"] {
        assert!(exprs.iter().any(|e| e.contains(&format!("summoner_{wanted}"))), "no panel uses {wanted}");
    }
    // A made-up name is caught.
    assert!(!exported("summoner_requests_totl"));
}

#[actix_web::test]
async fn the_scrape_holds_only_known_families_and_at_least_fifteen() {
    assert!(METRICS.families.len() >= 15, "{:?}", METRICS.families);
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path()), Arc::new(ManualClock::new())).await;
    let _ = logged_in(&server, "dev-metrics").await;
    let text = reqwest::get(format!("{}/metrics", server.admin_url)).await.unwrap().text().await.unwrap();
    let scraped: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).collect();
    assert!(scraped.len() >= 15, "only {} families in a scrape:\n{text}", scraped.len());
    for family in scraped {
        assert!(METRICS.families.iter().any(|f| f == family), "{family} is scraped but not listed");
    }
    server.stop().await;
}
