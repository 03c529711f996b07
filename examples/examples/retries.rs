//! Prints the YAML of the `retries` example: `cargo run -p kpipe-examples --example retries`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("retries")
}
