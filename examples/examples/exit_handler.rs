//! The `exit_handler` example as an app of its own:
//! `cargo run -p kpipe-examples --example exit_handler -- compile` (or `graph`,
//! `run --local`, `--help`).

fn main() -> std::process::ExitCode {
    kpipe_examples::app("exit_handler").main()
}
