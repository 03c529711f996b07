//! Prints the YAML of the `exit_handler` example: `cargo run -p kpipe-examples --example exit_handler`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("exit_handler")
}
