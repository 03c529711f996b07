//! The `gpu` example as an app of its own:
//! `cargo run -p kpipe-examples --example gpu -- compile` (or `graph`,
//! `run --local`, `--help`).

fn main() -> std::process::ExitCode {
    kpipe_examples::app("gpu").main()
}
