//! The `kpipe` command line: parse → run one subcommand → print the error
//! chain once → exit code.
//!
//! Exit codes: 0 success; 1 the input is invalid (lint problems, pipeline
//! diagnostics) or an operation failed; 2 usage errors (clap).

mod compile;
mod graph;
mod lint;
mod output;
mod prow;
mod run;
mod submit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::PipelineEntry;

/// kpipe: typed ML pipelines for Kubernetes, compiled to Argo Workflows.
#[derive(Parser, Debug)]
#[command(name = "kpipe", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile a pipeline to Argo YAML (Workflow, WorkflowTemplate or CronWorkflow).
    Compile(compile::CompileArgs),
    /// Check Argo YAML files offline against the official schema and graph rules.
    Lint(lint::LintArgs),
    /// Print a pipeline's task graph as Graphviz DOT, Mermaid or SVG.
    Graph(graph::GraphArgs),
    /// Run a pipeline on this machine, every step as a local kpipe-step process.
    Run(run::RunArgs),
    /// Submit a pipeline to Argo (Kubernetes API) or Kubeflow Pipelines; wait, stream logs.
    Submit(submit::SubmitArgs),
    /// Print the Prow jobs (presubmit, postsubmit, periodic) that submit a pipeline.
    Prow(prow::ProwArgs),
}

/// How a subcommand ended when it did not fail outright.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// All good.
    Success,
    /// The input is invalid; the problems were printed.
    Invalid,
    /// Exit with this code (what was wrong was printed).
    Exit(u8),
}

/// Runs `kpipe` with the process's arguments.
pub fn main(registry: Vec<PipelineEntry>) -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile(args) => compile::run(&registry, &args),
        Command::Lint(args) => lint::run(&args),
        Command::Graph(args) => graph::run(&registry, &args),
        Command::Run(args) => run::run(&registry, &args),
        Command::Submit(args) => submit::run(&registry, &args),
        Command::Prow(args) => prow::run(&registry, &args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Ok(Outcome::Exit(code)) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The entry for `name`, or an error listing the known pipelines.
pub(crate) fn lookup<'a>(
    registry: &'a [PipelineEntry],
    name: Option<&str>,
) -> anyhow::Result<&'a PipelineEntry> {
    let name = name.unwrap_or(crate::kubernetes_analysis::NAME);
    crate::find(registry, name).ok_or_else(|| {
        let known: Vec<&str> = registry.iter().map(|p| p.name).collect();
        anyhow::anyhow!(
            "unknown pipeline `{name}`; known pipelines: {} (see `kpipe compile --list`)",
            known.join(", ")
        )
    })
}

/// `NAME=VALUE` of `-p`.
pub(crate) fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got `{s}`"))
}
