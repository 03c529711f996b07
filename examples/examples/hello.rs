//! Prints the YAML of the `hello` example: `cargo run -p kpipe-examples --example hello`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("hello")
}
