//! `run --local`: settings resolved from the command line (no side
//! effects), then the run: the workdir prepared, parameters bound, secrets
//! staged, the pipeline's IR executed, the summary, the record and the
//! report written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use kpipe_compiler::ir::PipelineData;
use kpipe_compiler::ir::bind::Bound;
use kpipe_compiler::{CompileOptions, OutputKind};

use super::{Outcome, bind_params, lookup, parse_param};
use crate::profile::{LocalProfile, expand, stage_secrets};
use crate::registry::Entry;
use crate::run::{
    self, Engine, Layout, LocalRun, Podman, PodmanSettings, Status, Stop, TaskReport,
};
use crate::{App, LocalEnv, LocalPrep, Pipeline};

#[derive(Args, Debug)]
#[command(after_help = "\
A local run executes the workflow `compile` prints, with its parameters bound
from the pipeline's local profile (a file kept next to it; --profile FILE for
another), then -p. Secrets come from local files: --secret NAME=PATH (a file
is one key named after it, a directory one key per file, NAME/KEY=FILE names
the key); a secret not given is an empty directory, as an optional secret
volume is.

With the process engine (the default) each step's command runs as a process
on this machine: container images are not pulled, resource requests, node
selectors and tolerations are ignored (each run says which). Every step's
files, log and outputs go to WORKDIR/steps/<step>/.

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
    /// Bind parameters and secrets from this profile instead of the pipeline's own.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// A secret from a local file or directory (repeatable): NAME=PATH or NAME/KEY=FILE.
    #[arg(long = "secret", value_name = "NAME=PATH", value_parser = parse_param)]
    secrets: Vec<(String, String)>,
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
    /// Run these steps and everything downstream of them, even when cached;
    /// reuse the rest from the workdir's last run (or run it when it left nothing).
    #[arg(long, value_name = "STEP", value_delimiter = ',', num_args = 1..)]
    from: Vec<String>,
    /// Run just these steps, their inputs from the workdir's last run.
    #[arg(long, value_name = "STEP", value_delimiter = ',', num_args = 1.., conflicts_with = "from")]
    only: Vec<String>,
    /// Stop after this step and its upstream.
    #[arg(long, value_name = "STEP")]
    until: Option<String>,
    /// How each step runs: as a local process, or in its image with podman.
    #[arg(long, value_enum, default_value_t = EngineArg::Process)]
    engine: EngineArg,
    /// With --engine podman: run LOCAL where the workflow names image REF
    /// (repeatable), e.g. `alpine:3.20=localhost/base` or `REF=oci:LAYOUT:TAG`.
    #[arg(long = "image-map", value_name = "REF=LOCAL", value_parser = parse_param)]
    image_map: Vec<(String, String)>,
}

/// `--engine`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EngineArg {
    /// Each step's command as a process on this machine (images are not pulled).
    Process,
    /// Each step in its image, run by podman.
    Podman,
}

/// Everything a run needs, resolved from the command line.
struct Settings<'a> {
    entry: &'a Entry,
    layout: Layout,
    /// The pipeline's own profile, or `--profile`'s.
    profile: LocalProfile,
    /// `-p` values.
    given: Vec<(String, String)>,
    /// `--secret` values (relative to the working directory).
    secrets: Vec<(String, PathBuf)>,
    programs: BTreeMap<String, PathBuf>,
    jobs: usize,
    cache: bool,
    engine: EngineArg,
    image_map: BTreeMap<String, String>,
    selection: run::Selection,
}

fn settings<'a>(app: &'a App, args: &RunArgs) -> anyhow::Result<Settings<'a>> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let workdir = args
        .workdir
        .clone()
        .unwrap_or_else(|| PathBuf::from("kpipe-local").join(&entry.name));
    let profile = match (&args.profile, entry.local_profile) {
        (Some(path), _) => LocalProfile::read(path)?,
        (None, Some((text, at))) => LocalProfile::parse(
            text,
            &format!(
                "the local profile of {} ({}:{})",
                entry.name,
                at.file(),
                at.line()
            ),
            Path::new("."),
        )?,
        (None, None) => LocalProfile::default(),
    };
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
    if args.engine == EngineArg::Process && !args.image_map.is_empty() {
        bail!(
            "--image-map maps the images of a container engine: add --engine podman (the process engine runs no images)"
        );
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(Settings {
        entry,
        layout: Layout::new(workdir),
        profile,
        given: args.params.clone(),
        secrets: args
            .secrets
            .iter()
            .map(|(name, path)| (name.clone(), expand(path, &cwd)))
            .collect(),
        programs,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
            .max(1),
        cache: !args.no_cache,
        engine: args.engine,
        image_map: args.image_map.iter().cloned().collect(),
        selection: run::Selection {
            from: args.from.clone(),
            only: args.only.clone(),
            until: args.until.clone(),
        },
    })
}

pub(crate) fn run(app: &App, args: &RunArgs) -> anyhow::Result<Outcome> {
    let s = settings(app, args)?;
    let pipeline = app.build(s.entry);
    let options = CompileOptions {
        kind: OutputKind::Workflow,
        ..CompileOptions::default()
    };
    let plan = pipeline.ir(&options).map_err(|d| anyhow::anyhow!("{d}"))?;
    // Bad -p values stop the run before anything is created.
    let specs = plan.param_specs();
    bind_params(&s.entry.name, &specs, &s.given)?;

    std::fs::create_dir_all(s.layout.workdir())
        .with_context(|| format!("cannot create the workdir {}", s.layout.workdir().display()))?;
    let workdir = s.layout.workdir().canonicalize()?;
    let layout = Layout::new(&workdir);
    let env = LocalEnv {
        workdir: workdir.clone(),
        programs: s.programs.clone(),
    };
    let prep = match &s.entry.prepare_local {
        Some(prepare) => prepare(&env)?,
        None => LocalPrep::default(),
    };
    let mut values = prep.params.clone();
    values.extend(s.profile.params.iter().cloned());
    values.extend(s.given.iter().cloned());
    let bound = bind_params(&s.entry.name, &specs, &values)?;
    let mut secrets = s.profile.secrets.clone();
    secrets.extend(s.secrets.iter().cloned());
    let secrets = stage_secrets(&secrets, &|name| layout.secret(name))?;
    write_workflow(&pipeline, &bound, &layout)?;
    let engine = match s.engine {
        EngineArg::Process => Engine::Process,
        EngineArg::Podman => {
            let podman = Podman::detect(PodmanSettings {
                image_map: s.image_map.clone(),
                run_id: run_id(),
                workdir: workdir.clone(),
                shared: prep.shared.clone(),
            })?;
            for note in &podman.notes {
                eprintln!("note: {note}");
            }
            Engine::Podman(Box::new(podman))
        }
    };

    eprintln!(
        "Running {} locally in {} ({} at a time): {}{}",
        s.entry.name,
        workdir.display(),
        s.jobs,
        match engine {
            Engine::Process =>
                "each step's command runs as a process on this machine; container images are not pulled",
            Engine::Podman(_) => "each step runs in its image with podman",
        },
        if s.cache {
            "; unchanged steps are cached"
        } else {
            ""
        }
    );
    for p in bound.params.iter().filter(|p| !p.given) {
        if values.iter().any(|(n, _)| *n == p.name) {
            eprintln!("{} = {} (the local profile)", p.name, p.text);
        }
    }
    if pipeline.is_scheduled() {
        eprintln!(
            "note: {} is scheduled on a cluster (CronWorkflow); this runs it once, now",
            s.entry.name
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
        layout: layout.clone(),
        params: bound.pairs().into_iter().collect(),
        env,
        secrets,
        engine,
        jobs: s.jobs,
        cache: s.cache,
        interrupt: interrupt.clone(),
        selection: s.selection.clone(),
    };
    let reports = run::run(&plan, &cfg, Box::new(std::io::stderr()))?;
    let seconds = started.elapsed().as_secs_f64();
    let record = run::Record::new(
        &s.entry.name,
        cfg.engine.name(),
        bound.pairs(),
        bound.given().map(|p| p.name.clone()).collect(),
        seconds,
        interrupt.is_raised().then(|| interrupt.reason()),
        &reports,
    );
    if let Err(e) = record.save(&layout) {
        eprintln!("warning: {e:#}");
    }
    print_summary(&reports, seconds);
    print_metrics(&plan, &reports);
    let writing = Instant::now();
    let report = crate::report::write(&crate::report::Run {
        pipeline: &s.entry.name,
        layout: &layout,
        plan: &plan,
        graph: &pipeline,
        params: &given_params(&bound),
        reports: &reports,
        seconds,
        interrupted: interrupt.is_raised().then(|| interrupt.reason()),
        engine: cfg.engine.name(),
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
    let steps = layout.steps();
    if let Some(signal) = interrupt.signal() {
        eprintln!(
            "\nerror: {} was interrupted ({signal}); what ran is in {}/",
            s.entry.name,
            steps.display()
        );
        return Ok(Outcome::Exit(signal.exit_code()));
    }
    if failed.is_empty() {
        println!(
            "\n{} succeeded; outputs are in {}/",
            s.entry.name,
            steps.display()
        );
        Ok(Outcome::Success)
    } else {
        eprintln!(
            "\nerror: {} failed: step {} failed",
            s.entry.name,
            failed.join(", ")
        );
        eprintln!(
            "to run it again from there, reusing what ran before:\n  {} run {} --local --workdir {} --from {}",
            app.name,
            s.entry.name,
            workdir.display(),
            failed.join(",")
        );
        Ok(Outcome::Invalid)
    }
}

/// A name for this run's containers: its start time and kpipe's pid.
fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs:x}{:x}", std::process::id())
}

/// The parameters whose values are not their declared defaults' (the
/// report lists them).
fn given_params(bound: &Bound) -> BTreeMap<String, String> {
    bound
        .params
        .iter()
        .filter(|p| p.given)
        .map(|p| (p.name.clone(), p.text.clone()))
        .collect()
}

/// Writes the Argo Workflow the run executes: what `compile` prints, with
/// the bound values as the arguments' values.
fn write_workflow(pipeline: &Pipeline, bound: &Bound, layout: &Layout) -> anyhow::Result<()> {
    let manifest = pipeline
        .lower(&CompileOptions::default())
        .map_err(|d| anyhow::anyhow!("{d}"))?;
    let kpipe_compiler::argo::Manifest::Workflow(mut wf) = manifest else {
        bail!("kpipe bug: a Workflow was requested");
    };
    for p in &mut wf.spec.arguments.parameters {
        if let Some(v) = bound.get(&p.name) {
            p.value = Some(v.to_owned());
        }
    }
    let yaml = kpipe_compiler::to_yaml(&wf).map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = layout.workflow();
    crate::fsutil::write_bytes_atomic(&path, yaml.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
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
            Status::Reused => ("reused", run::REUSED_LAST.to_owned()),
        };
        let note = match r.hashing.as_secs_f64() {
            h if h >= 0.05 && note.is_empty() => format!("hashing for the cache {h:.1}s"),
            h if h >= 0.05 => format!("{note} (hashing for the cache {h:.1}s)"),
            _ => note,
        };
        println!(
            "{:<width$} {:<10} {:>8.1}s  {}",
            r.name,
            status,
            r.duration.as_secs_f64(),
            note
        );
    }
    let hashing: f64 = reports.iter().map(|r| r.hashing.as_secs_f64()).sum();
    if hashing >= 0.05 {
        println!(
            "{:<width$} {:<10} {:>8.1}s  (of which hashing for the cache {hashing:.1}s)",
            "total", "", total
        );
    } else {
        println!("{:<width$} {:<10} {:>8.1}s", "total", "", total);
    }
}

/// "3 items (0.1, 0.01, 0.001), 2 retries" for a loop or a retried step.
fn progress_note(r: &TaskReport) -> String {
    let mut parts = Vec::new();
    parts.extend(r.items_note());
    match r.retries {
        0 => {}
        1 => parts.push("1 retry".to_owned()),
        n => parts.push(format!("{n} retries")),
    }
    parts.join(", ")
}

/// Prints the KFP metrics the tasks that ran (or were reused) wrote (e.g. a
/// model's scores).
fn print_metrics(plan: &Arc<PipelineData>, reports: &[TaskReport]) {
    for r in reports {
        if !matches!(
            r.status,
            Status::Succeeded | Status::Cached | Status::Reused
        ) {
            continue;
        }
        let Some(t) = plan.task(&r.name) else {
            continue;
        };
        let Some(out) = t
            .outputs
            .iter()
            .find(|o| o.name == kpipe_compiler::KFP_METRICS)
        else {
            continue;
        };
        for (k, dir) in r.dirs.iter().enumerate() {
            let file = Layout::local(dir, &out.path);
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            let who = match r.items.get(k).cloned().flatten() {
                Some(item) => format!("{} {item}", r.name),
                None => r.name.clone(),
            };
            println!("\n{who} metrics ({}):", file.display());
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
