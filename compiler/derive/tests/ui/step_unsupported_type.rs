// A value parameter is a type the command line can carry.
use std::collections::HashMap;

#[kpipe::step]
fn labels(labels: HashMap<String, String>) -> anyhow::Result<()> {
    println!("{labels:?}");
    Ok(())
}

fn main() {}
