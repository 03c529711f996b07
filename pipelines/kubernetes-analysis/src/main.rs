//! `kpipe`: compile, lint, graph, run, submit kubernetes-analysis and the
//! examples; scaffold new pipelines (`kpipe new`).

use std::process::ExitCode;

fn main() -> ExitCode {
    kpipe_pipelines::app().main()
}
