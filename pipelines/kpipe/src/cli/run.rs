//! `run --local`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use kpipe_compiler::argo::{Manifest, Workflow};
use kpipe_compiler::{CompileOptions, OutputKind};

use super::{Outcome, lookup, parse_param};
use crate::run::{self, LocalRun, Status, Stop, TaskReport};
use crate::{App, LocalEnv, Profile};

#[derive(Args, Debug)]
#[command(after_help = "\
Each step's command runs as a process on this machine: container images are
not pulled, resource requests, node selectors and tolerations are ignored, and
secrets are not available (each run says which). Every step's files, log and
outputs go to WORKDIR/steps/<step>/.

Steps are cached: a step whose command line, environment, input artifacts and
program are unchanged since its last successful run in WORKDIR is not run
again, its outputs are reused and the summary says `cached`. --no-cache runs
every step.

Ctrl-C (or SIGTERM) stops the run: the running steps get SIGTERM, and SIGKILL
10 s later or at a second Ctrl-C; no step starts after it. The summary and
the report are still written, and kpipe exits with 130 (143 for SIGTERM).")]
pub(crate) struct RunArgs {
    /// Pipeline to run (default: the default pipeline).
    pipeline: Option<String>,
    /// Run on this machine (the only mode; cluster runs use `submit`).
    #[arg(long, required = true)]
    local: bool,
    /// Directory for every step's files (default: ./kpipe-local/PIPELINE).
    #[arg(long, value_name = "DIR")]
    workdir: Option<PathBuf>,
    /// Set a pipeline parameter (repeatable), e.g. `-p pr=123`.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Run this executable where a step's command names PROGRAM (repeatable).
    #[arg(long = "program", value_name = "PROGRAM=PATH", value_parser = parse_param)]
    programs: Vec<(String, String)>,
    /// The kpipe-step binary (same as --program kpipe-step=PATH).
    #[arg(long, value_name = "PATH")]
    step_binary: Option<PathBuf>,
    /// Steps to run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Run every step, even those whose inputs did not change.
    #[arg(long)]
    no_cache: bool,
}

pub(crate) fn run(app: &App, args: &RunArgs) -> anyhow::Result<Outcome> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let workdir = args
        .workdir
        .clone()
        .unwrap_or_else(|| PathBuf::from("kpipe-local").join(&entry.name));
    std::fs::create_dir_all(&workdir)
        .with_context(|| format!("cannot create the workdir {}", workdir.display()))?;
    let workdir = workdir.canonicalize().unwrap_or(workdir);
    let mut programs = BTreeMap::new();
    if let Ok(me) = std::env::current_exe() {
        programs.insert(app.name.to_owned(), me);
    }
    let explicit = args
        .programs
        .iter()
        .map(|(k, v)| (k.clone(), PathBuf::from(v)))
        .chain(
            args.step_binary
                .iter()
                .map(|p| (kpipe_compiler::STEP_PROGRAM.to_owned(), p.clone())),
        );
    for (name, path) in explicit {
        if !path.is_file() {
            bail!(
                "{} (the program for `{name}`) does not exist",
                path.display()
            );
        }
        programs.insert(name, path.canonicalize().unwrap_or(path));
    }
    let env = LocalEnv {
        workdir: workdir.clone(),
        programs,
    };
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    if let Some(prepare) = &entry.prepare_local {
        for (k, v) in prepare(&env)? {
            if !args.params.iter().any(|(name, _)| *name == k) {
                params.insert(k, v);
            }
        }
    }
    params.extend(args.params.iter().cloned());
    let pipeline = app.build(entry, &Profile::Local(env.clone()));
    let scheduled = pipeline.is_scheduled();
    let manifest = pipeline
        .lower(&CompileOptions {
            kind: OutputKind::Workflow,
            ..CompileOptions::default()
        })
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let Manifest::Workflow(wf) = manifest else {
        bail!("kpipe bug: a Workflow was requested");
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    eprintln!(
        "Running {} locally in {} ({jobs} at a time): each step's command runs on this machine; container images are not pulled{}",
        entry.name,
        workdir.display(),
        if args.no_cache {
            ""
        } else {
            "; unchanged steps are cached"
        }
    );
    if scheduled {
        eprintln!(
            "note: {} is scheduled on a cluster (CronWorkflow); this runs it once, now",
            entry.name
        );
    }
    // Ctrl-C and SIGTERM stop the run rather than the process: the steps
    // are stopped, and the summary and the report are still written.
    let interrupt = Stop::new();
    #[cfg(unix)]
    if let Err(e) = interrupt.on_signals() {
        eprintln!("warning: cannot catch Ctrl-C ({e}); an interrupt ends the run with no report");
    }
    let started = Instant::now();
    let cfg = LocalRun {
        workdir: workdir.clone(),
        params,
        env,
        jobs,
        cache: !args.no_cache,
        interrupt: interrupt.clone(),
    };
    let reports = run::run(&wf, &cfg, Box::new(std::io::stderr()))?;
    let seconds = started.elapsed().as_secs_f64();
    print_summary(&reports, seconds);
    print_metrics(&workdir, &wf);
    let writing = Instant::now();
    let report = crate::report::write(&crate::report::Run {
        pipeline: &entry.name,
        workdir: &workdir,
        workflow: &wf,
        graph: &pipeline,
        params: &cfg.params,
        reports: &reports,
        seconds,
        interrupted: interrupt.is_raised().then(|| interrupt.reason()),
    })?;
    println!(
        "\nreport: {} (written in {:.0} ms)",
        report.display(),
        writing.elapsed().as_secs_f64() * 1e3
    );
    let failed: Vec<&str> = reports
        .iter()
        .filter(|r| matches!(r.status, Status::Failed(_)))
        .map(|r| r.name.as_str())
        .collect();
    if let Some(signal) = interrupt.signal() {
        eprintln!(
            "\nerror: {} was interrupted ({signal}); what ran is in {}/steps/",
            entry.name,
            workdir.display()
        );
        return Ok(Outcome::Exit(signal.exit_code()));
    }
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

fn print_summary(reports: &[TaskReport], total: f64) {
    let width = reports
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0)
        .max(16);
    println!();
    println!("{:<width$} {:<10} {:>9}  note", "step", "status", "time");
    for r in reports {
        let (status, note) = match &r.status {
            Status::Succeeded => ("ok", progress_note(r)),
            Status::Cached => ("cached", run::REUSED.to_owned()),
            Status::Failed(why) => ("FAILED", why.clone()),
            Status::Skipped(why) => ("skipped", why.clone()),
            Status::NotRun(why) => ("not run", why.clone()),
        };
        println!(
            "{:<width$} {:<10} {:>8.1}s  {}",
            r.name,
            status,
            r.duration.as_secs_f64(),
            note
        );
    }
    println!("{:<width$} {:<10} {:>8.1}s", "total", "", total);
}

/// "3 iterations, 2 retries" for a loop or a retried step.
fn progress_note(r: &TaskReport) -> String {
    let mut parts = Vec::new();
    if r.dirs.len() > 1 {
        parts.push(format!("{} iterations", r.dirs.len()));
    }
    match r.retries {
        0 => {}
        1 => parts.push("1 retry".to_owned()),
        n => parts.push(format!("{n} retries")),
    }
    parts.join(", ")
}

/// Prints the KFP metrics every task wrote (e.g. a model's scores).
fn print_metrics(workdir: &Path, wf: &Workflow) {
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
