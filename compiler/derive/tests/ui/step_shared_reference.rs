// Inputs are values; the only reference is the context.
#[kpipe::step]
fn generate(name: &str) -> anyhow::Result<()> {
    println!("{name}");
    Ok(())
}

fn main() {}
