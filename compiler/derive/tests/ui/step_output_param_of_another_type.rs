// A step's text output is not an integer input.
use kpipe::{ParamWriter, Pipeline};

#[kpipe::step]
fn name(out: ParamWriter<String>) -> anyhow::Result<()> {
    out.write("x")
}

#[kpipe::step]
fn count(rows: i64) -> anyhow::Result<()> {
    println!("{rows}");
    Ok(())
}

fn main() {
    let p = Pipeline::new("p");
    let named = p.add(Name {});
    p.add(Count { rows: &named.out.out });
}
