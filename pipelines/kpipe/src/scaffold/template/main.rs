//! starter-app: the command line of the starter-app pipeline and, inside
//! every container of its workflow, the runner of its steps.
//!
//! ```text
//! cargo run -- compile              # Argo Workflow YAML
//! cargo run -- run --local          # every step on this machine
//! cargo run -- submit --wait        # to Argo (or --kfp URL)
//! cargo run -- step generate --help # what each container runs
//! cargo run -- image build -o image # the image it runs in (no engine needed)
//! ```

mod pipeline;
mod steps;

use std::process::ExitCode;

/// The app: the pipeline and its steps.
fn app() -> kpipe::App {
    kpipe::App::new(pipeline::NAME)
        .about("The starter-app pipeline, compiled to Argo Workflows")
        .version(env!("CARGO_PKG_VERSION"))
        .pipeline(pipeline::NAME, pipeline::SUMMARY, pipeline::pipeline)
        .steps(steps::steps())
}

fn main() -> ExitCode {
    app().main()
}

#[cfg(test)]
mod tests {
    /// The compiled YAML, exactly as `starter-app compile` writes it, and the
    /// KFP IR `compile --target kfp` writes pass `kpipe lint` and match the
    /// reviewed snapshots in src/snapshots/ (`cargo insta review` after a
    /// change).
    #[test]
    fn pipelines_compile_to_the_reviewed_yaml() {
        kpipe::assert_pipelines!(super::app());
    }
}
