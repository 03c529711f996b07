//! Small pipelines, each showing one feature of the kpipe DSL. Each module
//! has a `pipeline()` function. The `kpipe` binary registers every example
//! (`kpipe run loops --local`), and each `examples/<name>.rs` is that one
//! pipeline as an app of its own ([`app`]):
//!
//! ```text
//! cargo run -p kpipe-examples --example diamond -- compile
//! cargo run -p kpipe-examples --example diamond -- run --local
//! ```
//!
//! The snapshot tests compile every example and pin its YAML; the pipelines'
//! tests run every example locally and check its outputs.

use kpipe::Pipeline;

pub mod condition;
pub mod cron;
pub mod diamond;
pub mod exit_handler;
pub mod functions;
pub mod gpu;
pub mod hello;
pub mod loops;
pub mod retries;
pub mod sweep;
pub mod text;

/// A runnable example.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// Name (`cargo run --example NAME`).
    pub name: &'static str,
    /// What it shows.
    pub summary: &'static str,
    /// Builds its pipeline.
    pub build: fn() -> Pipeline,
}

/// Every example.
pub fn all() -> Vec<Example> {
    vec![
        Example {
            name: "hello",
            summary: "the README's first pipeline: a parameter, a retry, an edge, a condition",
            build: hello::pipeline,
        },
        Example {
            name: "diamond",
            summary: "typed artifacts: a diamond DAG whose edges come from data",
            build: diamond::pipeline,
        },
        Example {
            name: "condition",
            summary: "`when` conditions over parameters",
            build: condition::pipeline,
        },
        Example {
            name: "loops",
            summary: "fan-out with withItems and withParam",
            build: loops::pipeline,
        },
        Example {
            name: "sweep",
            summary: "fan-in of a loop's outputs and a gate on a step's score",
            build: sweep::pipeline,
        },
        Example {
            name: "retries",
            summary: "retries with backoff, timeouts and memoization",
            build: retries::pipeline,
        },
        Example {
            name: "gpu",
            summary: "a GPU step: resources, node selector, tolerations, secrets, env",
            build: gpu::pipeline,
        },
        Example {
            name: "exit_handler",
            summary: "an exit handler that reports the workflow status; pod GC and TTL",
            build: exit_handler::pipeline,
        },
        Example {
            name: "cron",
            summary: "a CronWorkflow with a schedule and concurrency policy",
            build: cron::pipeline,
        },
        Example {
            name: "functions",
            summary: "steps as functions: a typed list swept by a typed loop, collected and gated",
            build: functions::pipeline,
        },
    ]
}

/// The image the examples' typed steps run: an app's binary (the `kpipe`
/// binary, which registers them; `kpipe image build functions` builds it).
pub const APP_IMAGE: &str = concat!("ghcr.io/kpipe/kpipe:", env!("CARGO_PKG_VERSION"));

/// The examples' typed steps (`#[kpipe::step]` functions), for the app
/// that runs them (`APP step …`): the `kpipe` binary and each example's own.
pub fn steps() -> kpipe::Steps {
    kpipe::Steps::new()
        .step(functions::grid)
        .step(functions::score)
        .step(functions::best)
        .step(functions::deploy)
}

/// Example `name` as an app of its own: `compile`, `lint`, `graph`,
/// `run --local`, `prow` for that one pipeline.
pub fn app(name: &str) -> kpipe::App {
    let app = kpipe::App::new("example")
        .about("One kpipe example pipeline: compile, graph or run it")
        .version(env!("CARGO_PKG_VERSION"))
        .steps(steps());
    match all().into_iter().find(|e| e.name == name) {
        Some(e) => app.pipeline(e.name, e.summary, e.build),
        None => app,
    }
}
