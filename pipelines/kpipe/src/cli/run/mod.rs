//! `run --local`: settings resolved from the command line (no side
//! effects), then the run: the workdir prepared, parameters bound, secrets
//! staged, the pipeline's IR executed, the summary, the record and the
//! report written.

mod settings;
mod summary;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, bail};
use kpipe_compiler::ir::bind::Bound;
use kpipe_compiler::{CompileOptions, OutputKind};

use super::{Outcome, bind_params};
use crate::profile::stage_secrets;
use crate::run::{self, Engine, Layout, LocalRun, Podman, PodmanSettings, Status, Stop};
use crate::{App, LocalEnv, LocalPrep, Pipeline};
pub(crate) use settings::RunArgs;
use settings::{EngineArg, settings};
use summary::{print_metrics, print_summary};

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
