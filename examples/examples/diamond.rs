//! The `diamond` example as an app of its own:
//! `cargo run -p kpipe-examples --example diamond -- compile` (or `graph`,
//! `run --local`, `--help`).

fn main() -> std::process::ExitCode {
    kpipe_examples::app("diamond").main()
}
