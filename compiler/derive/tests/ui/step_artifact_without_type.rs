// An artifact parameter says its type.
use kpipe::Input;

#[kpipe::step]
fn read(data: Input) -> anyhow::Result<()> {
    println!("{}", data.display());
    Ok(())
}

fn main() {}
