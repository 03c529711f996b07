//! Prints the YAML of the `loops` example: `cargo run -p kpipe-examples --example loops`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("loops")
}
