//! `kpipe-step`: parse the command line, run one step, print the error chain
//! once, exit with the step's result.

use std::process::ExitCode;

use clap::Parser;
use kpipe_step_contract::StepCli;

fn main() -> ExitCode {
    let cli = StepCli::parse();
    let name = cli.command.name();
    match kpipe_steps::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kpipe-step {name}: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
