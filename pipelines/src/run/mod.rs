//! `kpipe run --local`: executes a compiled workflow on this machine.
//!
//! The input is the Argo model kpipe compiles (so what runs locally is what a
//! cluster runs): the entrypoint DAG's tasks in dependency order, up to
//! `jobs` at a time; `when` conditions evaluated; parameters substituted;
//! each container's program run as a local process with the same args, its
//! artifact and volume paths mapped into a per-task directory; input
//! artifacts copied from their producers' outputs (as Argo copies them);
//! retries and timeouts honoured; every output line prefixed with the task.
//! A failed task stops its dependants, which are reported as not run.

mod expr;
mod task;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::{Context, bail};
use kpipe_compiler::argo::{DagTask, Template, Workflow};

/// How a task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Succeeded,
    /// The process failed (or could not start); the reason.
    Failed(String),
    /// Its `when` condition was false.
    Skipped(String),
    /// A task it depends on failed.
    NotRun(String),
}

/// One task's result.
#[derive(Clone, Debug)]
pub struct TaskReport {
    /// Task name.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// Wall time.
    pub duration: Duration,
}

/// Settings of a local run.
#[derive(Clone, Debug)]
pub struct LocalRun {
    /// Where task directories go.
    pub workdir: PathBuf,
    /// Parameter values (over the workflow's defaults).
    pub params: BTreeMap<String, String>,
    /// Program name → local executable (e.g. `kpipe-step` → target/release/kpipe-step).
    pub programs: BTreeMap<String, PathBuf>,
    /// Tasks at once.
    pub jobs: usize,
}

pub(crate) struct Shared {
    pub(crate) out: Mutex<Box<dyn Write + Send>>,
    pub(crate) finished: Mutex<BTreeMap<String, task::Finished>>,
}

/// Runs `wf`'s entrypoint DAG (and its exit handler) locally.
pub fn run(
    wf: &Workflow,
    cfg: &LocalRun,
    out: Box<dyn Write + Send>,
) -> anyhow::Result<Vec<TaskReport>> {
    let spec = &wf.spec;
    let mut params: BTreeMap<String, String> = spec
        .arguments
        .parameters
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    for (k, v) in &cfg.params {
        if !params.contains_key(k) {
            let known: Vec<&str> = params.keys().map(String::as_str).collect();
            bail!(
                "unknown parameter `{k}`; this pipeline has: {}",
                known.join(", ")
            );
        }
        params.insert(k.clone(), v.clone());
    }
    let templates: BTreeMap<&str, &Template> = spec
        .templates
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let entry = templates.get(spec.entrypoint.as_str()).with_context(|| {
        format!(
            "the entrypoint template `{}` does not exist",
            spec.entrypoint
        )
    })?;
    let Some(dag) = &entry.dag else {
        bail!(
            "the entrypoint `{}` is not a DAG; kpipe runs DAG workflows",
            spec.entrypoint
        );
    };
    let tasks: BTreeMap<&str, &DagTask> = dag.tasks.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in &dag.tasks {
        for d in &t.dependencies {
            if !tasks.contains_key(d.as_str()) {
                bail!("task `{}` depends on `{d}`, which does not exist", t.name);
            }
        }
    }
    std::fs::create_dir_all(&cfg.workdir)
        .with_context(|| format!("cannot create {}", cfg.workdir.display()))?;
    let shared = Arc::new(Shared {
        out: Mutex::new(out),
        finished: Mutex::new(BTreeMap::new()),
    });
    let ctx = Arc::new(task::Context {
        params,
        templates: spec.templates.clone(),
        workdir: cfg.workdir.clone(),
        programs: cfg.programs.clone(),
        workflow_name: format!("{}-local", spec.entrypoint),
    });

    let mut reports: BTreeMap<String, TaskReport> = BTreeMap::new();
    let mut running: BTreeSet<String> = BTreeSet::new();
    let (tx, rx) = mpsc::channel::<TaskReport>();
    let order: Vec<&DagTask> = dag.tasks.iter().collect();
    loop {
        // Tasks whose dependencies all finished.
        for t in &order {
            if reports.contains_key(&t.name) || running.contains(&t.name) {
                continue;
            }
            let deps: Vec<&TaskReport> = t
                .dependencies
                .iter()
                .filter_map(|d| reports.get(d))
                .collect();
            if deps.len() < t.dependencies.len() {
                continue;
            }
            if let Some(bad) = deps
                .iter()
                .find(|r| matches!(r.status, Status::Failed(_) | Status::NotRun(_)))
            {
                let status = Status::NotRun(format!("`{}` did not succeed", bad.name));
                shared.say(
                    &t.name,
                    &format!(
                        "not run: {}",
                        match &status {
                            Status::NotRun(s) => s.as_str(),
                            _ => "",
                        }
                    ),
                );
                reports.insert(
                    t.name.clone(),
                    TaskReport {
                        name: t.name.clone(),
                        status,
                        duration: Duration::ZERO,
                    },
                );
                continue;
            }
            if running.len() >= cfg.jobs.max(1) {
                break;
            }
            running.insert(t.name.clone());
            let (t, ctx, shared, tx) = ((*t).clone(), ctx.clone(), shared.clone(), tx.clone());
            std::thread::spawn(move || {
                let report = task::execute(&t, &ctx, &shared);
                let _ = tx.send(report);
            });
        }
        if running.is_empty() {
            break;
        }
        let Ok(done) = rx.recv() else { break };
        running.remove(&done.name);
        reports.insert(done.name.clone(), done);
    }
    let mut out: Vec<TaskReport> = order
        .iter()
        .filter_map(|t| reports.remove(&t.name))
        .collect();
    if let Some(exit) = &spec.on_exit {
        let ok = out
            .iter()
            .all(|r| matches!(r.status, Status::Succeeded | Status::Skipped(_)));
        let status = if ok { "Succeeded" } else { "Failed" };
        let handler = DagTask {
            name: exit.clone(),
            template: exit.clone(),
            ..DagTask::default()
        };
        let mut ctx2 = (*ctx).clone();
        ctx2.params
            .insert("\u{0}workflow.status".to_owned(), status.to_owned());
        out.push(task::execute(&handler, &ctx2, &shared));
    }
    Ok(out)
}

impl Shared {
    pub(crate) fn say(&self, task: &str, line: &str) {
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "[{task}] {line}");
            let _ = o.flush();
        }
    }
}
