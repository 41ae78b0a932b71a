//! Training curves as an SVG: the loss and, below it, exact accuracy (training slots as they
//! halt, and held-out puzzles by band at each evaluation).

use std::path::Path;

use plotters::prelude::*;

use super::trainer::BandScore;

/// One logged point of the training curve.
pub struct CurvePoint {
    pub step: u64,
    pub loss: f64,
    pub train_exact: f64,
}

pub fn write_svg(path: &Path, curve: &[CurvePoint], evals: &[(u64, Vec<BandScore>)]) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let root = SVGBackend::new(path, (900, 700)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(330);
    let max_step = curve.iter().map(|p| p.step).chain(evals.iter().map(|e| e.0)).max().unwrap_or(1).max(1);
    let max_loss = curve.iter().map(|p| p.loss).filter(|l| l.is_finite()).fold(0.0f64, f64::max).max(1e-3);

    let mut chart = ChartBuilder::on(&top)
        .caption("training loss (per puzzle)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0u64..max_step, 0f64..max_loss * 1.05)
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc("optimiser step").draw().map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(curve.iter().map(|p| (p.step, p.loss)), &BLUE))
        .map_err(|e| err(&e))?;

    let mut chart = ChartBuilder::on(&bottom)
        .caption("exact accuracy", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(0u64..max_step, 0f64..1.0)
        .map_err(|e| err(&e))?;
    chart.configure_mesh().x_desc("optimiser step").draw().map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(curve.iter().map(|p| (p.step, p.train_exact)), &BLACK))
        .map_err(|e| err(&e))?
        .label("training slots (at halt)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
    let bands: Vec<String> = evals.first().map(|e| e.1.iter().map(|b| b.band.clone()).collect()).unwrap_or_default();
    for (i, band) in bands.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points: Vec<(u64, f64)> = evals
            .iter()
            .filter_map(|(step, scores)| scores.get(i).map(|s| (*step, s.exact_rate())))
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(format!("held-out {band}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
