//! `kpipe compile`.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use kpipe_compiler::{ArgoVersion, CompileError, CompileOptions, KfpOptions, OutputKind};

use super::{Outcome, lookup, output};
use crate::App;

#[derive(Args, Debug)]
pub(crate) struct CompileArgs {
    /// Pipeline to compile (default: the default pipeline; see --list).
    pipeline: Option<String>,
    /// Write the YAML to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to produce: Argo YAML, or Kubeflow Pipelines v2 IR (--kind, --schedule and --argo apply to Argo only).
    #[arg(long, value_enum, default_value_t = Output::Argo)]
    target: Output,
    /// Which Argo object to produce.
    #[arg(long, value_enum, default_value_t = Kind::Workflow)]
    kind: Kind,
    /// Image for every step without its own (default: the pipeline's).
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    /// Cron schedule of a CronWorkflow (default: the pipeline's).
    #[arg(long, value_name = "CRON")]
    schedule: Option<String>,
    /// Argo Workflows major version to target (3: KFP 1.8 and 2.x; 4: Argo 4).
    #[arg(long, value_enum, default_value_t = Target::V3)]
    argo: Target,
    /// KFP: turn Kubeflow Pipelines' execution cache off for every step (kfp's
    /// `--disable-execution-caching-by-default`); by default every step is
    /// cached except those with `.cache(false)`.
    #[arg(long)]
    no_cache: bool,
    /// List the pipelines and exit.
    #[arg(long, conflicts_with_all = ["pipeline", "output"])]
    list: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// Argo Workflows YAML (what Kubeflow Pipelines v1 runs).
    Argo,
    /// Kubeflow Pipelines v2 IR: PipelineSpec and PlatformSpec documents.
    Kfp,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Kind {
    /// An Argo Workflow (what Kubeflow Pipelines v1 runs).
    Workflow,
    /// A WorkflowTemplate.
    Template,
    /// A CronWorkflow on the pipeline's schedule.
    Cron,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Target {
    /// Argo 3.x.
    #[value(name = "3")]
    V3,
    /// Argo 4.x.
    #[value(name = "4")]
    V4,
}

pub(crate) fn run(app: &App, args: &CompileArgs) -> anyhow::Result<Outcome> {
    if args.list {
        let entries = &app.registry.entries;
        let width = entries.iter().map(|p| p.name.len()).max().unwrap_or(0);
        let mut text = String::new();
        for p in entries {
            let _ = writeln!(text, "{:width$}  {}", p.name, p.summary);
        }
        output::write_text(None, &text)?;
        return Ok(Outcome::Success);
    }
    let entry = lookup(app, args.pipeline.as_deref())?;
    let pipeline = app.build(entry);
    if args.no_cache && args.target != Output::Kfp {
        bail!(
            "--no-cache turns Kubeflow Pipelines' execution cache off: add --target kfp (Argo caches only the steps that memoize, and --no-cache does not change them)"
        );
    }
    if args.target == Output::Kfp {
        let options = KfpOptions {
            image: args.image.clone(),
            no_cache: args.no_cache,
        };
        return match pipeline.compile_kfp(&options) {
            Ok(compiled) => {
                if !compiled.warnings.is_empty() {
                    let warnings: Vec<String> =
                        compiled.warnings.iter().map(ToString::to_string).collect();
                    output::eprint_block(warnings.join("\n"));
                }
                output::write_text(args.output.as_deref(), &compiled.yaml)?;
                Ok(Outcome::Success)
            }
            Err(CompileError::Invalid(diagnostics)) => {
                output::eprint_block(diagnostics);
                Ok(Outcome::Invalid)
            }
            Err(e) => Err(e.into()),
        };
    }
    let options = CompileOptions {
        kind: match args.kind {
            Kind::Workflow => OutputKind::Workflow,
            Kind::Template => OutputKind::WorkflowTemplate,
            Kind::Cron => OutputKind::CronWorkflow,
        },
        image: args.image.clone(),
        schedule: args.schedule.clone(),
        argo: match args.argo {
            Target::V3 => ArgoVersion::V3,
            Target::V4 => ArgoVersion::V4,
        },
    };
    match pipeline.compile(&options) {
        Ok(yaml) => {
            output::write_text(args.output.as_deref(), &yaml)?;
            Ok(Outcome::Success)
        }
        Err(CompileError::Invalid(diagnostics)) => {
            output::eprint_block(diagnostics);
            Ok(Outcome::Invalid)
        }
        Err(e) => Err(e.into()),
    }
}
