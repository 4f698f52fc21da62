//! The live view drawn on the server: one SVG line chart per measure (requests/s, errors/s,
//! p50, p99), a line per operation (the few highest on that measure over the window, and all
//! together), over the last
//! 15 minutes of `admin/live.rs`'s points, and a table of the latest point. No script: the
//! page reloads itself to draw the next points.

use std::fmt::Write as _;

use super::{esc, time};
use crate::admin::live::{LiveView, OpPoint, Point};

/// Operations drawn besides the total (the highest on the chart's measure over the window).
const OPS_DRAWN: usize = 6;
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 20.0;
/// One colour per line: the total first.
const COLOURS: [&str; 7] = ["#222", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// A measure of an operation's point.
type Measure = fn(&OpPoint) -> Option<f64>;
/// One line: its operation and its values by time (None: no request in that interval).
type Series<'a> = (&'a str, Vec<(i64, Option<f64>)>);

/// The live page's body: the charts and the latest point.
pub fn live_page(view: &LiveView, refresh_secs: u64) -> String {
    let mut body = format!(
        "<p>Sampled every {} ms; the last {} minutes; this page reloads every {refresh_secs} s. An error is an \
         answer other than 200 (a game's refusal is a 200).</p>",
        view.every_ms,
        view.window_ms / 60_000
    );
    if view.points.is_empty() {
        body.push_str("<p id=\"no-points\"><i>no interval sampled yet</i></p>");
    }
    // Rates rank operations by their sum over the window; latencies by their worst.
    let charts: [(&str, &str, &str, Measure, Rank); 4] = [
        ("chart-requests", "Requests per second", "/s", |p| Some(p.requests_per_s), Rank::Sum),
        ("chart-errors", "Errors per second", "/s", |p| Some(p.errors_per_s), Rank::Sum),
        ("chart-p50", "p50 latency", " ms", |p| p.p50_ms, Rank::Worst),
        ("chart-p99", "p99 latency", " ms", |p| p.p99_ms, Rank::Worst),
    ];
    for (id, title, unit, measure, rank) in charts {
        chart(&mut body, view, &highest(&view.points, measure, rank), id, title, unit, measure);
    }
    latest(&mut body, view.points.last());
    body
}

/// How a chart ranks operations over the window.
#[derive(Clone, Copy)]
enum Rank {
    /// By the sum of the measure (the busiest, the most failing).
    Sum,
    /// By its highest value (the slowest at their worst).
    Worst,
}

/// The operations highest on `measure` over the window, highest first.
fn highest(points: &[Point], measure: Measure, rank: Rank) -> Vec<String> {
    let mut totals: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for point in points {
        for (op, p) in &point.ops {
            let value = measure(p).unwrap_or(0.0);
            let total = totals.entry(op.as_str()).or_default();
            *total = match rank {
                Rank::Sum => *total + value,
                Rank::Worst => total.max(value),
            };
        }
    }
    totals.retain(|_, total| *total > 0.0);
    let mut ops: Vec<(&str, f64)> = totals.into_iter().collect();
    ops.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ops.into_iter().take(OPS_DRAWN).map(|(op, _)| op.to_owned()).collect()
}

fn chart(body: &mut String, view: &LiveView, ops: &[String], id: &str, title: &str, unit: &str, measure: Measure) {
    let end = view.points.last().map_or(0, |p| p.at_ms);
    let start = end - view.window_ms;
    let series: Vec<Series> = std::iter::once("all")
        .chain(ops.iter().map(String::as_str))
        .map(|op| {
            let values = view
                .points
                .iter()
                .map(|p| {
                    let point = if op == "all" { Some(&p.total) } else { p.ops.get(op) };
                    (p.at_ms, point.and_then(measure))
                })
                .collect();
            (op, values)
        })
        .collect();
    let top = series.iter().flat_map(|(_, v)| v.iter().filter_map(|(_, y)| *y)).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let x = |at: i64| LEFT + (WIDTH - LEFT - 8.0) * ((at - start) as f64 / view.window_ms as f64).clamp(0.0, 1.0);
    let y = |v: f64| 8.0 + (HEIGHT - BOTTOM - 8.0) * (1.0 - v / top);
    let _ = write!(
        body,
        "<h2>{title}</h2><svg id=\"{id}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"{title}\" style=\"border:1px solid #ccc;background:#fff\">\
         <line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#999\"/>\
         <line x1=\"{LEFT}\" y1=\"8\" x2=\"{LEFT}\" y2=\"{b}\" stroke=\"#999\"/>\
         <text x=\"4\" y=\"16\" font-size=\"11\">{top:.1}{unit}</text><text x=\"4\" y=\"{b}\" font-size=\"11\">0</text>\
         <text x=\"{LEFT}\" y=\"{t}\" font-size=\"11\">{}</text><text x=\"{r2}\" y=\"{t}\" font-size=\"11\">{}</text>",
        time(start),
        time(end),
        b = HEIGHT - BOTTOM,
        r = WIDTH - 8.0,
        t = HEIGHT - 4.0,
        r2 = WIDTH - 150.0,
    );
    for (i, (op, values)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // A gap (no request of the operation in an interval) breaks its line.
        let mut runs: Vec<Vec<String>> = vec![Vec::new()];
        for (at, value) in values {
            match value {
                Some(v) => runs.last_mut().map_or((), |run| run.push(format!("{:.1},{:.1}", x(*at), y(*v)))),
                None if runs.last().is_some_and(|run| !run.is_empty()) => runs.push(Vec::new()),
                None => {}
            }
        }
        for run in runs.iter().filter(|run| !run.is_empty()) {
            let _ = write!(
                body,
                "<polyline data-op=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
                esc(op),
                run.join(" ")
            );
        }
        let _ = write!(
            body,
            "<text x=\"{:.0}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            LEFT + 8.0 + 95.0 * i as f64,
            20,
            esc(op)
        );
    }
    body.push_str("</svg>");
}

fn latest(body: &mut String, point: Option<&Point>) {
    let Some(point) = point else { return };
    let ms = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1}"));
    let _ = write!(
        body,
        "<h2>Latest interval, to {}</h2><table id=\"live-latest\"><tr><th>operation</th><th>requests/s</th><th>errors/s</th>\
         <th>p50 ms</th><th>p99 ms</th></tr>",
        time(point.at_ms)
    );
    for (op, p) in std::iter::once(("all", &point.total)).chain(point.ops.iter().map(|(op, p)| (op.as_str(), p))) {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
            esc(op),
            p.requests_per_s,
            p.errors_per_s,
            ms(p.p50_ms),
            ms(p.p99_ms)
        );
    }
    body.push_str("</table>");
}
