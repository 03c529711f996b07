//! Steps as functions (`#[kpipe::step]`), with typed outputs all the way:
//! `grid` writes the learning rates to try as a list of numbers
//! (`ParamWriter<Vec<f64>>`); `score` runs once per rate, reading its loop
//! item as an `f64`, and writes its score; `best` collects every item's
//! score as a `Vec<f64>` (a typed fan-in) and writes the best; `deploy`
//! runs only when that best score beats `min-score` (`best.gt(&min_score)`,
//! a gate on a typed output). Every step runs the app's own binary
//! (`kpipe step grid …`), which registers them ([`steps`](crate::steps)).

use kpipe::{Context, ParamWriter, Pipeline};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("functions");
    p.description("steps as functions: a typed list swept by a typed loop, collected and gated")
        .image(crate::APP_IMAGE);
    let count = p.int_param("count", 3);
    let min_score = p.float_param("min-score", 0.7);
    let grid = p.add(Grid { count: &count });
    let scored = p
        .add(Score {
            rate: grid.out.rates.item(),
        })
        .with_param(&grid.out.rates);
    let best = p.add(Best {
        scores: scored.out.score.collected(),
    });
    p.add(Deploy {
        score: &best.out.best,
    })
    .when(best.out.best.gt(&min_score));
    p
}

/// The learning rates to try: 0.1, 0.01, … (`count` of them).
///
/// - `count`: how many rates (1 to 10)
/// - `rates`: the rates, a JSON list of numbers
#[kpipe::step]
pub fn grid(count: i64, rates: ParamWriter<Vec<f64>>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=10).contains(&count),
        "--count must be 1 to 10, got {count}"
    );
    let exponents = 1..=i32::try_from(count)?;
    rates.write(exponents.map(|e| 10f64.powi(-e)).collect::<Vec<_>>())
}

/// Score one learning rate (a stand-in for training with it): 1 at 0.01,
/// less the further the rate is from it.
///
/// - `rate`: the learning rate
/// - `score`: its score, from 0 to 1
#[kpipe::step]
pub fn score(rate: f64, score: ParamWriter<f64>, ctx: &mut Context) -> anyhow::Result<()> {
    anyhow::ensure!(rate > 0.0, "--rate must be positive, got {rate}");
    let value = 1.0 / (1.0 + (rate.log10() + 2.0).powi(2));
    ctx.info(format_args!("rate {rate}: score {value:.3}"));
    score.write(value)
}

/// The best of every rate's score.
///
/// - `scores`: each rate's score, a JSON list (collected from the loop)
/// - `best`: the highest
#[kpipe::step]
pub fn best(scores: Vec<f64>, best: ParamWriter<f64>, ctx: &mut Context) -> anyhow::Result<()> {
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    anyhow::ensure!(top.is_finite(), "--scores holds no score: {scores:?}");
    ctx.info(format_args!("best of {} scores: {top}", scores.len()));
    best.write(top)
}

/// Deploy the model (a stand-in: it says so).
///
/// - `score`: the score of the model deployed
#[kpipe::step]
pub fn deploy(score: f64, ctx: &mut Context) -> anyhow::Result<()> {
    ctx.info(format_args!("deploying the model that scored {score}"));
    Ok(())
}
