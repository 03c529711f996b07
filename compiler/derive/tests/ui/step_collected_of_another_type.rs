// A loop's float outputs collect into a list of floats, not of strings.
use kpipe::{ParamWriter, Pipeline};

#[kpipe::step]
fn score(rate: f64, score: ParamWriter<f64>) -> anyhow::Result<()> {
    score.write(rate)
}

#[kpipe::step]
fn report(names: Vec<String>) -> anyhow::Result<()> {
    println!("{names:?}");
    Ok(())
}

fn main() {
    let p = Pipeline::new("p");
    let scored = p.add(Score { rate: kpipe::Item::new() }).with_items([0.1, 0.2]);
    p.add(Report { names: scored.out.score.collected() });
}
