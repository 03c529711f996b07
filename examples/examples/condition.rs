//! Prints the YAML of the `condition` example: `cargo run -p kpipe-examples --example condition`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("condition")
}
