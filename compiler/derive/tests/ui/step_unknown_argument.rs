// The step is named after its function.
#[kpipe::step(name = "gen")]
fn generate(rows: i64) -> anyhow::Result<()> {
    println!("{rows}");
    Ok(())
}

fn main() {}
