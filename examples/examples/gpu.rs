//! Prints the YAML of the `gpu` example: `cargo run -p kpipe-examples --example gpu`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("gpu")
}
