// A step function says how it fails.
#[kpipe::step]
fn generate(rows: i64) {
    println!("{rows}");
}

fn main() {}
