//! `kpipe-step`: every step of kubernetes-analysis in one binary, run by
//! kpipe's step runtime (parse, run, print the error chain once, exit with
//! the step's result).

use std::process::ExitCode;

fn main() -> ExitCode {
    kpipe_steps::steps().main("kpipe-step")
}
