//! Steps as functions (`#[kpipe::step]`), a typed output parameter and a
//! typed loop: `grid` writes the learning rates to try as a list of
//! numbers (`ParamWriter<Vec<f64>>`), and `score` runs once per rate,
//! reading its loop item as an `f64`. Both run the app's own binary
//! (`kpipe step grid …`), which registers them ([`steps`](crate::steps)).

use kpipe::{Context, ParamWriter, Pipeline};

/// The example pipeline.
pub fn pipeline() -> Pipeline {
    let p = Pipeline::new("functions");
    p.description("steps as functions: a typed list output swept by a typed loop")
        .image(crate::APP_IMAGE);
    let count = p.int_param("count", 3);
    let grid = p.add(Grid { count: &count });
    p.add(Score {
        rate: grid.out.rates.item(),
    })
    .with_param(&grid.out.rates);
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

/// Score one learning rate (a stand-in for training with it).
///
/// - `rate`: the learning rate
#[kpipe::step]
pub fn score(rate: f64, ctx: &mut Context) -> anyhow::Result<()> {
    anyhow::ensure!(rate > 0.0, "--rate must be positive, got {rate}");
    let loss = (rate.log10() + 2.0).powi(2);
    ctx.info(format_args!("rate {rate}: loss {loss:.3}"));
    Ok(())
}
