//! `kpipe run --local`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use kpipe_compiler::argo::Manifest;
use kpipe_compiler::{CompileOptions, STEP_PROGRAM};

use super::{Outcome, lookup, parse_param};
use crate::run::{self, LocalRun, Status};
use crate::{PipelineEntry, Profile};

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Pipeline to run (default: kubernetes-analysis).
    pipeline: Option<String>,
    /// Run on this machine (the only mode; cluster runs use `kpipe submit`).
    #[arg(long, required = true)]
    local: bool,
    /// Directory for the data repository and every step's files.
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Set a pipeline parameter (repeatable), e.g. `-p pr=123`.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// The kpipe-step binary (default: next to kpipe, else on PATH).
    #[arg(long, value_name = "PATH")]
    step_binary: Option<PathBuf>,
    /// Steps to run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

/// The kpipe-step binary: explicit, next to this executable, or on PATH.
fn step_binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if !p.is_file() {
            bail!("--step-binary {} does not exist", p.display());
        }
        return Ok(p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    }
    if let Ok(me) = std::env::current_exe()
        && let Some(dir) = me.parent()
    {
        let sibling = dir.join(STEP_PROGRAM);
        if sibling.is_file() {
            return Ok(sibling);
        }
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let candidate = dir.join(STEP_PROGRAM);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cannot find {STEP_PROGRAM} next to kpipe or on PATH; build it with `cargo build --release -p kpipe-steps` or pass --step-binary"
    )
}

pub(crate) fn run(registry: &[PipelineEntry], args: &RunArgs) -> anyhow::Result<Outcome> {
    let entry = lookup(registry, args.pipeline.as_deref())?;
    let step = step_binary(args.step_binary.as_deref())?;
    let workdir = args
        .workdir
        .clone()
        .unwrap_or_else(|| PathBuf::from("kpipe-local").join(entry.name));
    std::fs::create_dir_all(&workdir)
        .with_context(|| format!("cannot create {}", workdir.display()))?;
    let workdir = workdir.canonicalize().unwrap_or(workdir);
    let repo = crate::local_data::prepare_data_repo(&workdir)?;
    let profile = Profile::Local {
        repo: repo.display().to_string(),
        step_binary: step.display().to_string(),
    };
    let manifest = (entry.build)(&profile)
        .lower(&CompileOptions::default())
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let Manifest::Workflow(wf) = manifest else {
        bail!("kpipe bug: a Workflow was requested");
    };
    let mut params: BTreeMap<String, String> = args.params.iter().cloned().collect();
    let declares_commit = wf
        .spec
        .arguments
        .parameters
        .iter()
        .any(|p| p.name == "commit");
    if declares_commit && !params.contains_key("commit") {
        // What Prow passes on a cluster: the data repository's commit.
        let sha = crate::local_data::head(&repo)?;
        eprintln!("commit = {sha} (the local data repository's HEAD; override with -p commit=…)");
        params.insert("commit".to_owned(), sha);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    eprintln!(
        "Running {} locally in {} ({jobs} at a time, {STEP_PROGRAM} = {})",
        entry.name,
        workdir.display(),
        step.display()
    );
    let started = Instant::now();
    let cfg = LocalRun {
        workdir: workdir.clone(),
        params,
        programs: BTreeMap::from([(STEP_PROGRAM.to_owned(), step)]),
        jobs,
    };
    let reports = run::run(&wf, &cfg, Box::new(std::io::stderr()))?;

    println!();
    println!("{:<16} {:<10} {:>9}  note", "step", "status", "time");
    for r in &reports {
        let (status, note) = match &r.status {
            Status::Succeeded => ("ok", String::new()),
            Status::Failed(why) => ("FAILED", why.clone()),
            Status::Skipped(why) => ("skipped", why.clone()),
            Status::NotRun(why) => ("not run", why.clone()),
        };
        println!(
            "{:<16} {:<10} {:>8.1}s  {}",
            r.name,
            status,
            r.duration.as_secs_f64(),
            note
        );
    }
    println!(
        "{:<16} {:<10} {:>8.1}s",
        "total",
        "",
        started.elapsed().as_secs_f64()
    );
    print_metrics(&workdir, &wf);
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| matches!(r.status, Status::Failed(_)))
        .map(|r| r.name.as_str())
        .collect();
    if failed.is_empty() {
        println!(
            "\n{} succeeded; outputs are in {}/steps/",
            entry.name,
            workdir.display()
        );
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "\nerror: {} failed: step {} failed",
            entry.name,
            failed.join(", ")
        );
        Ok(Outcome::Invalid)
    }
}

/// Prints the KFP metrics every task wrote (the model's, for kubernetes-analysis).
fn print_metrics(workdir: &Path, wf: &kpipe_compiler::argo::Workflow) {
    for t in &wf.spec.templates {
        for a in &t.outputs.artifacts {
            if a.name != kpipe_compiler::KFP_METRICS {
                continue;
            }
            let Some(path) = &a.path else { continue };
            let file = workdir
                .join("steps")
                .join(&t.name)
                .join("root")
                .join(path.trim_start_matches('/'));
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            println!("\n{} metrics ({}):", t.name, file.display());
            for m in v["metrics"].as_array().into_iter().flatten() {
                println!(
                    "  {:<10} {:.4}",
                    m["name"].as_str().unwrap_or(""),
                    m["numberValue"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
    }
}
