//! The command line of an [`App`]: parse → run one subcommand → print the
//! error chain once → exit code.
//!
//! Exit codes: 0 success; 1 the input is invalid (lint problems, pipeline
//! diagnostics) or an operation failed; 2 usage errors (clap).

mod compile;
mod graph;
mod image;
mod lint;
mod new;
mod output;
mod prow;
#[cfg(feature = "submit")]
mod retry;
mod run;
#[cfg(feature = "submit")]
mod submit;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::App;
use crate::registry::Entry;

/// Typed ML pipelines for Kubernetes, compiled to Argo Workflows.
#[derive(Parser, Debug)]
#[command(name = "kpipe", long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile a pipeline to Argo YAML (Workflow, WorkflowTemplate or CronWorkflow) or Kubeflow Pipelines v2 IR.
    Compile(compile::CompileArgs),
    /// Check Argo YAML and Kubeflow Pipelines v2 IR files offline against the official schemas and graph rules.
    Lint(lint::LintArgs),
    /// Print a pipeline's task graph as Graphviz DOT, Mermaid or SVG.
    Graph(graph::GraphArgs),
    /// Run a pipeline on this machine: each step as a process, or in its image (podman).
    Run(run::RunArgs),
    /// Submit a pipeline to Argo (Kubernetes API) or Kubeflow Pipelines; wait, stream logs.
    #[cfg(feature = "submit")]
    Submit(submit::SubmitArgs),
    /// Run a failed workflow's failed steps again on its cluster (Argo, Kubeflow Pipelines); wait, stream logs.
    #[cfg(feature = "submit")]
    Retry(retry::RetryArgs),
    /// Print the Prow jobs (presubmit, postsubmit, periodic) that submit a pipeline.
    Prow(prow::ProwArgs),
    /// Build the step image of a pipeline without a container engine (write an OCI layout, push).
    Image(image::ImageArgs),
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

/// The clap command of `app`: the derived subcommands, plus `step` and `new`.
pub(crate) fn command(app: &App) -> clap::Command {
    let mut cmd = Cli::command()
        .name(app.name)
        .bin_name(app.name)
        .version(
            app.version
                .clone()
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
        )
        .about(app.about.clone().unwrap_or_else(|| {
            "Typed ML pipelines for Kubernetes, compiled to Argo Workflows".to_owned()
        }));
    if !app.steps.is_empty() {
        cmd = cmd.subcommand(app.steps.command("step"));
    }
    if app.scaffold {
        cmd = cmd.subcommand(new::command());
    }
    cmd
}

/// Runs `app` with `args`.
pub(crate) fn main<I, T>(app: &App, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match command(app).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return crate::step::exit_for(&e),
    };
    let result = match matches.subcommand() {
        Some(("step", sub)) => return app.steps.dispatch(&format!("{} step", app.name), sub),
        Some(("new", sub)) => new::run(sub),
        _ => match Cli::from_arg_matches(&matches) {
            Ok(cli) => dispatch(app, cli.command),
            Err(e) => return crate::step::exit_for(&e),
        },
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

fn dispatch(app: &App, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Compile(args) => compile::run(app, &args),
        Command::Lint(args) => lint::run(&args),
        Command::Graph(args) => graph::run(app, &args),
        Command::Run(args) => run::run(app, &args),
        #[cfg(feature = "submit")]
        Command::Submit(args) => submit::run(app, &args),
        #[cfg(feature = "submit")]
        Command::Retry(args) => retry::run(app, &args),
        Command::Prow(args) => prow::run(app, &args),
        Command::Image(args) => image::run(app, &args),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The entry for `name` (the default pipeline when `None`).
pub(crate) fn lookup<'a>(app: &'a App, name: Option<&str>) -> anyhow::Result<&'a Entry> {
    app.registry.lookup(name)
}

pub(crate) use crate::params::bind_params;

/// `NAME=VALUE` of `-p`.
pub(crate) fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected NAME=VALUE, got `{s}`"))
}
