//! The `sweep` example as an app of its own:
//! `cargo run -p kpipe-examples --example sweep -- compile` (or `graph`,
//! `run --local`, `--help`).

fn main() -> std::process::ExitCode {
    kpipe_examples::app("sweep").main()
}
