// A container runs a step function once, synchronously.
#[kpipe::step]
async fn generate(rows: i64) -> anyhow::Result<()> {
    println!("{rows}");
    Ok(())
}

fn main() {}
