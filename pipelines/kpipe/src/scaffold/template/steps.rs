//! The steps of the starter-app pipeline. Each step is one function, and
//! `#[kpipe::step]` makes the rest from it:
//!
//! - its command line, which the compiler renders into the workflow and
//!   this binary parses (`starter-app step generate --rows=200 …`; the doc
//!   comment's list is each flag's `--help`);
//! - its place in a pipeline, `Generate { rows: &rows, seed: 7 }`: each
//!   value takes a literal, a parameter or another step's output of its
//!   type, and outputs are typed artifacts, so wiring a model where a data
//!   set belongs does not compile;
//! - its registration, `.step(generate)` in `steps()`: a pipeline that adds
//!   a step missing there does not compile (`cargo test` says where).

use anyhow::Result;
use kpipe::step::kfp::Metric;
use kpipe::{ArtifactType, Context, Input, Metrics, Output, Steps};

/// A CSV file of `x,y` rows.
#[derive(Debug)]
pub enum Csv {}
impl ArtifactType for Csv {
    const KIND: &'static str = "csv";
}

/// A fitted line, as JSON.
#[derive(Debug)]
pub enum Line {}
impl ArtifactType for Line {
    const KIND: &'static str = "line";
}

/// Every step this binary runs (`starter-app step …`).
pub fn steps() -> Steps {
    Steps::new().step(generate).step(fit)
}

/// Generate `rows` noisy points on the line y = 3x + 2.
///
/// - `rows`: how many rows (1 to 10000000)
/// - `seed`: seed of the noise
/// - `data`: the points, as CSV
#[kpipe::step]
pub fn generate(rows: i64, seed: u64, data: Output<Csv>, ctx: &mut Context) -> Result<()> {
    anyhow::ensure!(
        (1..=10_000_000).contains(&rows),
        "--rows must be between 1 and 10000000, got {rows}"
    );
    let csv = points_csv(rows, seed);
    data.write(csv)?;
    ctx.info(format_args!("wrote {rows} rows to {}", data.display()));
    Ok(())
}

/// Fit y = a·x + b by least squares on all but the last `test_share` of
/// the rows, and score it on those.
///
/// - `data`: the points `generate` wrote
/// - `test_share`: the share of rows held out for scoring (0 to 1)
/// - `model`: the fitted line, as JSON
/// - `metrics`: its slope and error, for Kubeflow Pipelines
#[kpipe::step]
pub fn fit(
    data: Input<Csv>,
    test_share: f64,
    model: Output<Line>,
    metrics: Metrics,
    ctx: &mut Context,
) -> Result<()> {
    let (train, test) = hold_out(read_points(&data)?, test_share)?;
    let line = Fitted::new(&train, &test)?;
    model.write(line.to_json())?;
    metrics.write(&line.metrics())?;
    ctx.info(&line);
    Ok(())
}

/// `rows` points on y = 3x + 2 plus noise, as CSV with an `x,y` header.
fn points_csv(rows: i64, seed: u64) -> String {
    let mut state = seed;
    let mut csv = String::from("x,y\n");
    for i in 0..rows {
        let x = i as f64 / rows as f64 * 10.0;
        let y = 3.0 * x + 2.0 + noise(&mut state);
        csv.push_str(&format!("{x:.4},{y:.4}\n"));
    }
    csv
}

/// The next pseudo-random number in [-0.5, 0.5) (a linear congruential
/// generator: the same seed gives the same data).
fn noise(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 33) as f64 / f64::from(u32::MAX) - 0.5
}

/// The `x,y` rows of the CSV at `data`.
fn read_points(data: &Input<Csv>) -> Result<Vec<(f64, f64)>> {
    let text = data.read_to_string()?;
    let mut points = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let parse = |s: Option<&str>| s.and_then(|v| v.trim().parse::<f64>().ok());
        let mut cols = line.split(',');
        match (parse(cols.next()), parse(cols.next())) {
            (Some(x), Some(y)) => points.push((x, y)),
            _ => anyhow::bail!("{}:{}: expected `x,y`, got `{line}`", data.display(), n + 1),
        }
    }
    Ok(points)
}

/// The rows to fit on, and the last `share` of them held out to score.
type Split = (Vec<(f64, f64)>, Vec<(f64, f64)>);

fn hold_out(mut points: Vec<(f64, f64)>, share: f64) -> Result<Split> {
    anyhow::ensure!(
        (0.0..1.0).contains(&share),
        "--test-share must be at least 0 and below 1, got {share}"
    );
    let test = ((points.len() as f64) * share).round() as usize;
    let held_out = points.split_off(points.len() - test);
    Ok((points, held_out))
}

/// The slope and intercept of the least-squares line through `points`.
fn least_squares(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    (sxy / sxx, my - sxy / sxx * mx)
}

/// The root-mean-square error of the line `slope`·x + `intercept` on `points`.
fn rmse(slope: f64, intercept: f64, points: &[(f64, f64)]) -> f64 {
    let squares: f64 = points
        .iter()
        .map(|(x, y)| (slope * x + intercept - y).powi(2))
        .sum();
    (squares / points.len() as f64).sqrt()
}

/// A line fitted by least squares, and its root-mean-square error.
#[derive(Debug)]
struct Fitted {
    slope: f64,
    intercept: f64,
    rmse: f64,
    scored: usize,
}

impl Fitted {
    /// Fits `train`; scores on `test` (on `train` when `test` is empty).
    fn new(train: &[(f64, f64)], test: &[(f64, f64)]) -> Result<Self> {
        let n = train.len();
        anyhow::ensure!(n >= 2, "{n} training rows; need at least 2");
        let (slope, intercept) = least_squares(train);
        let scored = if test.is_empty() { train } else { test };
        Ok(Self {
            slope,
            intercept,
            rmse: rmse(slope, intercept, scored),
            scored: scored.len(),
        })
    }

    /// Its metrics, for Kubeflow Pipelines.
    fn metrics(&self) -> [Metric; 2] {
        [
            Metric::raw("slope", self.slope),
            Metric::raw("rmse", self.rmse),
        ]
    }

    fn to_json(&self) -> String {
        format!(
            "{{\"slope\": {}, \"intercept\": {}}}\n",
            self.slope, self.intercept
        )
    }
}

impl std::fmt::Display for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "y = {:.3}x + {:.3}; rmse {:.3} on {} rows",
            self.slope, self.intercept, self.rmse, self.scored
        )
    }
}
