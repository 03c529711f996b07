//! The kubernetes-analysis pipeline, and the `kpipe` binary: the kpipe app
//! ([`kpipe::App`]) with kubernetes-analysis (the default) and every example
//! registered, and `kpipe new` to scaffold a pipeline of your own.
//!
//! A pipeline is a Rust function returning a [`Pipeline`](kpipe::Pipeline):
//! one definition, which `kpipe compile` sends to a cluster and `kpipe run
//! --local` runs here with its local profile's parameter values (no
//! secrets, no pushes, a dry-run rollout).

pub mod kubernetes_analysis;
pub mod local_data;

/// The `kpipe` app: kubernetes-analysis (the default pipeline), every
/// example, and `new`.
pub fn app() -> kpipe::App {
    let mut app = kpipe::App::new("kpipe")
        .about("Typed ML pipelines for Kubernetes, compiled to Argo Workflows")
        .version(env!("CARGO_PKG_VERSION"))
        .with_scaffold()
        .entry(kubernetes_analysis::entry())
        // kubernetes-analysis's steps run `kpipe-step`, a binary of their
        // own (the `kpipe` binary links none of their code).
        .external_steps(
            [kpipe::STEP_PROGRAM],
            kpipe_step_contract::STEPS.iter().copied(),
        )
        // The examples' typed steps run this binary (`kpipe step …`).
        .steps(kpipe_examples::steps())
        .default_pipeline(kubernetes_analysis::NAME);
    for example in kpipe_examples::all() {
        app = app.pipeline(example.name, example.summary, example.build);
    }
    app
}
