// `--help` is clap's.
#[kpipe::step]
fn generate(help: String) -> anyhow::Result<()> {
    println!("{help}");
    Ok(())
}

fn main() {}
