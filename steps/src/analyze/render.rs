//! Drawing the charts with plotters: SVG (text as text) and PNG (text
//! rendered with the vendored DejaVu Sans, no system fonts).

use std::path::Path;
use std::sync::Once;

use anyhow::Context;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::series::ChartData;

/// An image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl Format {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const ACCENT: RGBColor = RGBColor(0x32, 0x6c, 0xe5);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}

/// Draws `data` with `title` into `path` (written atomically).
pub fn render(data: &ChartData, title: &str, path: &Path, format: Format) -> anyhow::Result<()> {
    register_font();
    let size = match data {
        ChartData::Monthly { .. } => (1280, 720),
        ChartData::Ranking { bars, .. } => (1280, 160 + 28 * bars.len().max(1) as u32),
    };
    let result = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                draw(&root, data, title)?;
                root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            kpipe_runtime::fsutil::write_bytes_durably(path, svg.as_bytes())
                .map_err(anyhow::Error::from)
        }
        // The bitmap encoder picks the format from the temporary file's
        // extension, which replace_atomically keeps.
        Format::Png => kpipe_runtime::fsutil::replace_durably(path, |tmp| {
            let root = BitMapBackend::new(tmp, size).into_drawing_area();
            draw(&root, data, title)?;
            root.present().map_err(|e| anyhow::anyhow!("{e}"))
        }),
    };
    result.with_context(|| format!("cannot draw {}", path.display()))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    data: &ChartData,
    title: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("{e:?}");
    root.fill(&WHITE).map_err(e)?;
    match data {
        ChartData::Monthly { points, y_label } => {
            let n = points.len().max(1);
            let (lo, hi) = points
                .iter()
                .fold((0i64, 1i64), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
            let pad = ((hi - lo) as f64 * 0.08).ceil() as i64 + 1;
            let mut chart = ChartBuilder::on(root)
                .caption(title, ("sans-serif", 28).into_font())
                .margin(24)
                .x_label_area_size(60)
                .y_label_area_size(90)
                .build_cartesian_2d(
                    0usize..n,
                    (lo.min(0) - if lo < 0 { pad } else { 0 })..(hi + pad),
                )
                .map_err(e)?;
            let label = |x: &usize| points.get(*x).map(|p| p.0.clone()).unwrap_or_default();
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&label)
                .x_desc("month")
                .y_desc(*y_label)
                .label_style(("sans-serif", 16))
                .axis_desc_style(("sans-serif", 18))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(e)?;
            chart
                .draw_series(
                    AreaSeries::new(
                        points.iter().enumerate().map(|(i, p)| (i, p.1)),
                        0,
                        ACCENT.mix(0.25),
                    )
                    .border_style(ACCENT.stroke_width(2)),
                )
                .map_err(e)?;
        }
        ChartData::Ranking { bars, x_label } => {
            let n = bars.len().max(1) as u32;
            let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
            let longest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(8) as u32;
            let mut chart = ChartBuilder::on(root)
                .caption(title, ("sans-serif", 28).into_font())
                .margin(24)
                .x_label_area_size(50)
                .y_label_area_size((longest * 9 + 20).clamp(80, 420))
                .build_cartesian_2d(0u64..max + max / 8 + 1, (0u32..n).into_segmented())
                .map_err(e)?;
            let name = |v: &SegmentValue<u32>| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => bars
                    .get((n - 1 - *i) as usize)
                    .map(|b| b.0.clone())
                    .unwrap_or_default(),
                SegmentValue::CenterOf(_) | SegmentValue::Exact(_) => String::new(),
                SegmentValue::Last => String::new(),
            };
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n as usize)
                .y_label_formatter(&name)
                .x_desc("count")
                .y_desc(*x_label)
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 18))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(e)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                    let row = n - 1 - i as u32;
                    let mut r = Rectangle::new(
                        [
                            (0, SegmentValue::Exact(row)),
                            (*v, SegmentValue::Exact(row + 1)),
                        ],
                        ACCENT.filled(),
                    );
                    r.set_margin(4, 4, 0, 0);
                    r
                }))
                .map_err(e)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                    let row = n - 1 - i as u32;
                    Text::new(
                        format!(" {v}"),
                        (*v, SegmentValue::CenterOf(row)),
                        TextStyle::from(("sans-serif", 14).into_font()).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Left,
                                plotters::style::text_anchor::VPos::Center,
                            ),
                        ),
                    )
                }))
                .map_err(e)?;
        }
    }
    Ok(())
}
