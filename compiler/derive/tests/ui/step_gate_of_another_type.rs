// A gate on a float output compares it with a float: an integer parameter
// is a type error at the argument.
use kpipe::{ParamWriter, Pipeline};

#[kpipe::step]
fn score(score: ParamWriter<f64>) -> anyhow::Result<()> {
    score.write(0.9)
}

#[kpipe::step]
fn deploy() -> anyhow::Result<()> {
    Ok(())
}

fn main() {
    let p = Pipeline::new("p");
    let rows = p.int_param("rows", 3);
    let scored = p.add(Score {});
    p.add(Deploy {}).when(scored.out.score.gt(&rows));
}
