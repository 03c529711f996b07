// A parameter names its flag.
#[kpipe::step]
fn generate((rows, seed): (i64, u64)) -> anyhow::Result<()> {
    println!("{rows} {seed}");
    Ok(())
}

fn main() {}
