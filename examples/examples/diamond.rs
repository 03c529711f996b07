//! Prints the YAML of the `diamond` example: `cargo run -p kpipe-examples --example diamond`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("diamond")
}
