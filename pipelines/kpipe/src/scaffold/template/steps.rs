//! The steps of the starter-app pipeline. Each step is defined once:
//!
//! - its command line, a clap struct (`GenerateArgs`) that the compiler
//!   renders into the workflow (`#[derive(ToArgs)]`) and this binary parses
//!   (`starter-app step generate --rows=200 …`);
//! - its place in a pipeline (`Generate`: inputs are fields, outputs typed
//!   artifacts), so wiring a model where a data set belongs does not compile;
//! - what it does (`generate`), registered in `steps()`.

use std::path::PathBuf;

use anyhow::Context as _;
use kpipe::step::kfp::Metric;
use kpipe::{Arg, Artifact, ArtifactType, Context, Io, Param, Step, Steps};

/// A CSV file of `x,y` rows.
#[derive(Debug)]
pub enum Csv {}
impl ArtifactType for Csv {
    const KIND: &'static str = "csv";
}

/// Generate `rows` noisy points on the line y = 3x + 2.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "generate")]
pub struct GenerateArgs {
    /// How many rows.
    #[arg(long)]
    pub rows: Arg<i64>,
    /// Seed of the noise.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where to write the CSV.
    #[arg(long)]
    #[kpipe(output)]
    pub out: PathBuf,
}

/// `generate` in a pipeline.
#[derive(Debug)]
pub struct Generate<'a> {
    /// The number of rows.
    pub rows: &'a Param<i64>,
    /// Seed of the noise.
    pub seed: u64,
}

/// What `generate` produces.
#[derive(Debug)]
pub struct GenerateOutputs {
    /// The data set.
    pub data: Artifact<Csv>,
}

impl Step for Generate<'_> {
    type Args = GenerateArgs;
    type Outputs = GenerateOutputs;

    fn name(&self) -> String {
        "generate".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (GenerateArgs, GenerateOutputs) {
        let (out, data) = io.output::<Csv>("data");
        let args = GenerateArgs {
            rows: io.arg(self.rows),
            seed: self.seed,
            out,
        };
        (args, GenerateOutputs { data })
    }
}

/// Fit y = a·x + b by least squares on all but the last `test-share` of
/// the rows, and score it on those.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "fit")]
pub struct FitArgs {
    /// The CSV `generate` wrote.
    #[arg(long)]
    pub data: PathBuf,
    /// The share of rows held out for scoring (0 to 1).
    #[arg(long)]
    pub test_share: Arg<f64>,
    /// Where to write the model (JSON).
    #[arg(long)]
    #[kpipe(output)]
    pub model: PathBuf,
    /// Kubeflow Pipelines' metrics file.
    #[arg(long)]
    #[kpipe(output)]
    pub metrics: PathBuf,
}

/// `fit` in a pipeline.
#[derive(Debug)]
pub struct Fit<'a> {
    /// The data set.
    pub data: &'a Artifact<Csv>,
    /// The held-out share.
    pub test_share: &'a Param<f64>,
}

/// A fitted line.
#[derive(Debug)]
pub enum Line {}
impl ArtifactType for Line {
    const KIND: &'static str = "line";
}

impl Step for Fit<'_> {
    type Args = FitArgs;
    /// The fitted model, for a later step to use.
    type Outputs = Artifact<Line>;

    fn name(&self) -> String {
        "fit".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (FitArgs, Artifact<Line>) {
        let data = io.input("data", self.data);
        let (model_path, model) = io.output::<Line>("model");
        let args = FitArgs {
            data,
            test_share: io.arg(self.test_share),
            model: model_path,
            // (`fit` writes them on every success)
            metrics: io.kfp_metrics_always(),
        };
        (args, model)
    }
}

/// Every step this binary runs (`starter-app step …`).
pub fn steps() -> Steps {
    Steps::new().step(generate).step(fit)
}

/// Writes the data set.
pub fn generate(args: GenerateArgs, ctx: &mut Context) -> anyhow::Result<()> {
    let rows = *args.rows.get();
    if !(1..=10_000_000).contains(&rows) {
        anyhow::bail!("--rows must be between 1 and 10000000, got {rows}");
    }
    let mut state = args
        .seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1);
    let mut noise = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f64 / f64::from(u32::MAX)) - 0.5
    };
    let mut csv = String::from("x,y\n");
    for i in 0..rows {
        let x = i as f64 / rows as f64 * 10.0;
        csv.push_str(&format!("{x:.4},{:.4}\n", 3.0 * x + 2.0 + noise()));
    }
    std::fs::write(&args.out, csv)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    ctx.info(format_args!("wrote {rows} rows to {}", args.out.display()));
    Ok(())
}

/// Fits the line and writes the model and its metrics.
pub fn fit(args: FitArgs, ctx: &mut Context) -> anyhow::Result<()> {
    let share = *args.test_share.get();
    if !(0.0..1.0).contains(&share) {
        anyhow::bail!("--test-share must be at least 0 and below 1, got {share}");
    }
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let mut points = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let parse = |s: Option<&str>| s.and_then(|v| v.trim().parse::<f64>().ok());
        let mut cols = line.split(',');
        match (parse(cols.next()), parse(cols.next())) {
            (Some(x), Some(y)) => points.push((x, y)),
            _ => anyhow::bail!(
                "{}:{}: expected `x,y`, got `{line}`",
                args.data.display(),
                n + 1
            ),
        }
    }
    let test = ((points.len() as f64) * share).round() as usize;
    let (train, held_out) = points.split_at(points.len() - test);
    if train.len() < 2 {
        anyhow::bail!(
            "{} has {} training rows; need at least 2",
            args.data.display(),
            train.len()
        );
    }
    let n = train.len() as f64;
    let (sx, sy) = train
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxy, sxx) = train.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let scored = if held_out.is_empty() { train } else { held_out };
    let rmse = (scored
        .iter()
        .map(|(x, y)| (slope * x + intercept - y).powi(2))
        .sum::<f64>()
        / scored.len() as f64)
        .sqrt();
    std::fs::write(
        &args.model,
        format!("{{\"slope\": {slope}, \"intercept\": {intercept}}}\n"),
    )
    .with_context(|| format!("cannot write {}", args.model.display()))?;
    ctx.write_metrics(
        &args.metrics,
        &[Metric::raw("slope", slope), Metric::raw("rmse", rmse)],
    )?;
    ctx.info(format_args!(
        "y = {slope:.3}x + {intercept:.3}; rmse {rmse:.3} on {} rows",
        scored.len()
    ));
    Ok(())
}
