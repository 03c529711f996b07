//! The `functions` example as an app of its own, which also runs its steps:
//! `cargo run -p kpipe-examples --example functions -- run --local` (or
//! `compile`, `graph`, `step grid --help`).

fn main() -> std::process::ExitCode {
    kpipe_examples::app("functions").main()
}
