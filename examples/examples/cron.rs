//! Prints the YAML of the `cron` example: `cargo run -p kpipe-examples --example cron`.

fn main() -> std::process::ExitCode {
    kpipe_examples::print("cron")
}
