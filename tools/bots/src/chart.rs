//! The run's chart (plotters): throughput, p50 and p99 latency, and errors per second, as
//! PNG and SVG. Text uses the DejaVu Sans font shipped beside this file (its licence is in
//! `DejaVuSans.LICENSE`), so a machine without fonts draws the same picture.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::SecondLine;

const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");
const SIZE: (u32, u32) = (1200, 900);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart {path}: {message}")]
pub struct ChartError {
    path: String,
    message: String,
}

/// Draws `timeline` to `<stem>.png` and `<stem>.svg`; returns the two paths.
pub fn draw(stem: &Path, title: &str, timeline: &[SecondLine]) -> Result<[PathBuf; 2], ChartError> {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        // The font is ours and valid; were it not, the chart would only lack its text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |e: Box<dyn std::error::Error>| ChartError { path: path.clone(), message: e.to_string() }
    };
    panels(BitMapBackend::new(&png, SIZE).into_drawing_area(), title, timeline).map_err(failed(&png))?;
    panels(SVGBackend::new(&svg, SIZE).into_drawing_area(), title, timeline).map_err(failed(&svg))?;
    Ok([png, svg])
}

/// One panel: its name, its unit, its points (second, value) and its colour.
type Panel<'a> = (&'a str, &'a str, Vec<(f64, f64)>, RGBColor);

fn panels<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    timeline: &[SecondLine],
) -> Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 24))?;
    let areas = root.split_evenly((3, 1));
    let seconds = timeline.len().max(1) as f64;
    let series: [Panel; 3] = [
        ("throughput", "requests/s", timeline.iter().map(|s| (s.second as f64, s.requests as f64)).collect(), BLUE),
        ("latency", "ms", timeline.iter().map(|s| (s.second as f64, s.p99_ms)).collect(), RED),
        ("errors", "errors/s", timeline.iter().map(|s| (s.second as f64, s.errors as f64)).collect(), BLACK),
    ];
    for (area, (name, unit, points, color)) in areas.iter().zip(series) {
        let top = points.iter().map(|p| p.1).fold(1.0_f64, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(name, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..seconds, 0.0..top)?;
        chart.configure_mesh().x_desc("second of the run").y_desc(unit).draw()?;
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(if name == "latency" { "p99 latency" } else { name })
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        if name == "latency" {
            let p50: Vec<(f64, f64)> = timeline.iter().map(|s| (s.second as f64, s.p50_ms)).collect();
            chart
                .draw_series(LineSeries::new(p50, GREEN.stroke_width(2)))?
                .label("p50 latency")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }
    root.present()?;
    Ok(())
}
