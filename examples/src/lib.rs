//! Small pipelines, each showing one feature of the kpipe DSL. Each module
//! has a `pipeline()` function; `examples/<name>.rs` prints its YAML:
//!
//! ```text
//! cargo run -p kpipe-examples --example diamond
//! ```
//!
//! The snapshot tests compile every example and pin its YAML.

use std::process::ExitCode;

use kpipe_compiler::{CompileOptions, OutputKind, Pipeline};

pub mod condition;
pub mod cron;
pub mod diamond;
pub mod exit_handler;
pub mod gpu;
pub mod hello;
pub mod loops;
pub mod retries;
pub mod text;

/// A runnable example.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// Name (`cargo run --example NAME`).
    pub name: &'static str,
    /// What it shows.
    pub summary: &'static str,
    /// The object it compiles to.
    pub kind: OutputKind,
    /// Builds its pipeline.
    pub build: fn() -> Pipeline,
}

/// Every example.
pub fn all() -> Vec<Example> {
    vec![
        Example {
            name: "hello",
            summary: "the README's first pipeline: a parameter, a retry, an edge, a condition",
            kind: OutputKind::Workflow,
            build: hello::pipeline,
        },
        Example {
            name: "diamond",
            summary: "typed artifacts: a diamond DAG whose edges come from data",
            kind: OutputKind::Workflow,
            build: diamond::pipeline,
        },
        Example {
            name: "condition",
            summary: "`when` conditions over parameters",
            kind: OutputKind::Workflow,
            build: condition::pipeline,
        },
        Example {
            name: "loops",
            summary: "fan-out with withItems and withParam",
            kind: OutputKind::Workflow,
            build: loops::pipeline,
        },
        Example {
            name: "retries",
            summary: "retries with backoff, timeouts and memoization",
            kind: OutputKind::Workflow,
            build: retries::pipeline,
        },
        Example {
            name: "gpu",
            summary: "a GPU step: resources, node selector, tolerations, secrets, env",
            kind: OutputKind::Workflow,
            build: gpu::pipeline,
        },
        Example {
            name: "exit_handler",
            summary: "an exit handler that reports the workflow status; pod GC and TTL",
            kind: OutputKind::Workflow,
            build: exit_handler::pipeline,
        },
        Example {
            name: "cron",
            summary: "a CronWorkflow with a schedule and concurrency policy",
            kind: OutputKind::CronWorkflow,
            build: cron::pipeline,
        },
    ]
}

/// Compiles `example` and prints its YAML (or its diagnostics).
pub fn print(name: &str) -> ExitCode {
    let Some(example) = all().into_iter().find(|e| e.name == name) else {
        eprintln!("no example named {name}");
        return ExitCode::FAILURE;
    };
    let options = CompileOptions {
        kind: example.kind,
        ..CompileOptions::default()
    };
    match (example.build)().compile(&options) {
        Ok(yaml) => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
