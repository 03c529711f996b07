//! `kpipe`: compile, lint, graph and run kpipe pipelines.

use std::process::ExitCode;

fn main() -> ExitCode {
    kpipe_pipelines::cli::main(kpipe_pipelines::all())
}
