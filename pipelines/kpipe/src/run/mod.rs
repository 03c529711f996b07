//! `run --local`: executes a compiled workflow on this machine.
//!
//! The input is the Argo model kpipe compiles (so what runs locally is what a
//! cluster runs): the entrypoint DAG's tasks in dependency order, up to
//! `jobs` at a time; `when` conditions evaluated; parameters substituted;
//! each container's command run as a local process with the same arguments
//! — the image is not pulled, like KFP's SubprocessRunner — its artifact and
//! volume paths mapped into a per-task directory; input artifacts copied
//! from their producers' outputs (as Argo copies them); retries (with their
//! policy and backoff) and timeouts honoured; every output line prefixed
//! with the task and kept in the task's log; steps whose inputs did not
//! change since their last successful run reused ([`cache`]). A failed task
//! stops its dependants, which are reported as not run.
//!
//! The modules: [`scope`] resolves `{{…}}` references, [`workspace`] maps
//! container paths into a task's directory, [`process`] runs one program, [`retry`] applies retry strategies,
//! [`cache`] keys and stores step results, [`task`] runs one task (loops,
//! retries, outputs), and this module schedules the DAG.

mod cache;
mod expr;
mod interrupt;
mod process;
mod retry;
mod scope;
mod task;
mod workspace;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::{Context, bail};
use kpipe_compiler::argo::{DagTask, Template, Workflow};

use crate::LocalEnv;

pub(crate) use expr::evaluate;
pub use interrupt::{GRACE, Interrupt, Stop};

/// What a cached task says (the terminal and the run report).
pub(crate) const REUSED: &str = "inputs unchanged, outputs reused";

/// How a task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0.
    Succeeded,
    /// Not run: its inputs are unchanged since a successful run in this
    /// workdir, whose outputs it reuses.
    Cached,
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
    /// Wall time (retries and backoff included).
    pub duration: Duration,
    /// Attempts made (0 when it did not run; each loop iteration counts).
    pub attempts: u32,
    /// Attempts that failed and were retried.
    pub retries: u32,
    /// The last attempt's exit code (`None`: not run, could not start,
    /// killed by a signal or the deadline).
    pub exit_code: Option<i32>,
    /// The last command line run (program first), with local paths.
    pub command: Vec<String>,
    /// The task's directories (one per loop iteration).
    pub dirs: Vec<PathBuf>,
}

impl TaskReport {
    pub(crate) fn new(name: &str, status: Status) -> Self {
        Self {
            name: name.to_owned(),
            status,
            duration: Duration::ZERO,
            attempts: 0,
            retries: 0,
            exit_code: None,
            command: Vec::new(),
            dirs: Vec::new(),
        }
    }
}

/// Settings of a local run.
#[derive(Clone, Debug)]
pub struct LocalRun {
    /// Where task directories go (`<workdir>/steps/<task>`).
    pub workdir: PathBuf,
    /// Parameter values (over the workflow's defaults).
    pub params: BTreeMap<String, String>,
    /// The programs the steps' commands name.
    pub env: LocalEnv,
    /// Tasks at once.
    pub jobs: usize,
    /// Reuse the outputs of steps whose inputs did not change.
    pub cache: bool,
    /// Stops the run halfway (the CLI raises it on Ctrl-C and SIGTERM).
    pub interrupt: Stop,
}

/// What a finished task leaves for later tasks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Finished {
    /// Output artifact name → local path.
    pub(crate) artifacts: BTreeMap<String, PathBuf>,
    /// Output parameter name → value.
    pub(crate) params: BTreeMap<String, String>,
}

/// State the task threads share.
pub(crate) struct Shared {
    out: Mutex<Box<dyn Write + Send>>,
    pub(crate) finished: Mutex<BTreeMap<String, Finished>>,
    pub(crate) programs: cache::Programs,
}

impl Shared {
    pub(crate) fn say(&self, task: &str, line: &str) {
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "[{task}] {line}");
            let _ = o.flush();
        }
    }

    /// The finished tasks' outputs (a copy: the lock is not held after).
    pub(crate) fn finished(&self) -> BTreeMap<String, Finished> {
        self.finished.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

/// What every task of a run reads.
#[derive(Clone, Debug)]
pub(crate) struct RunContext {
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) templates: BTreeMap<String, Template>,
    /// Workflow-level volumes (name → is a secret).
    pub(crate) secret_volumes: BTreeMap<String, String>,
    pub(crate) workdir: PathBuf,
    pub(crate) env: LocalEnv,
    pub(crate) workflow_name: String,
    /// Set for the exit handler: how the workflow ended.
    pub(crate) workflow_status: Option<String>,
    pub(crate) cache: bool,
    pub(crate) interrupt: Stop,
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
                if known.is_empty() {
                    "no parameters".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        params.insert(k.clone(), v.clone());
    }
    let templates: BTreeMap<String, Template> = spec
        .templates
        .iter()
        .map(|t| (t.name.clone(), t.clone()))
        .collect();
    let entry = templates.get(spec.entrypoint.as_str()).with_context(|| {
        format!(
            "the entrypoint template `{}` does not exist",
            spec.entrypoint
        )
    })?;
    let Some(dag) = entry.dag.clone() else {
        bail!(
            "the entrypoint `{}` is not a DAG; kpipe runs DAG workflows",
            spec.entrypoint
        );
    };
    let names: BTreeSet<&str> = dag.tasks.iter().map(|t| t.name.as_str()).collect();
    for t in &dag.tasks {
        for d in &t.dependencies {
            if !names.contains(d.as_str()) {
                bail!("task `{}` depends on `{d}`, which does not exist", t.name);
            }
        }
    }
    std::fs::create_dir_all(&cfg.workdir)
        .with_context(|| format!("cannot create {}", cfg.workdir.display()))?;
    let shared = Arc::new(Shared {
        out: Mutex::new(out),
        finished: Mutex::new(BTreeMap::new()),
        programs: cache::Programs::default(),
    });
    let ctx = Arc::new(RunContext {
        params,
        templates,
        secret_volumes: spec
            .volumes
            .iter()
            .filter_map(|v| {
                v.secret
                    .as_ref()
                    .map(|s| (v.name.clone(), s.secret_name.clone()))
            })
            .collect(),
        workdir: cfg.workdir.clone(),
        env: cfg.env.clone(),
        workflow_name: format!("{}-local", spec.entrypoint),
        workflow_status: None,
        cache: cfg.cache,
        interrupt: cfg.interrupt.clone(),
    });

    let mut reports: BTreeMap<String, TaskReport> = BTreeMap::new();
    let mut running: BTreeSet<String> = BTreeSet::new();
    let (tx, rx) = mpsc::channel::<TaskReport>();
    loop {
        // Tasks whose dependencies all finished.
        for t in &dag.tasks {
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
            if cfg.interrupt.is_raised() {
                // nothing starts after an interrupt
                reports.insert(
                    t.name.clone(),
                    TaskReport::new(&t.name, Status::NotRun(cfg.interrupt.reason())),
                );
                continue;
            }
            if let Some(bad) = deps
                .iter()
                .find(|r| matches!(r.status, Status::Failed(_) | Status::NotRun(_)))
            {
                let why = format!("`{}` did not succeed", bad.name);
                shared.say(&t.name, &format!("not run: {why}"));
                reports.insert(
                    t.name.clone(),
                    TaskReport::new(&t.name, Status::NotRun(why)),
                );
                continue;
            }
            if running.len() >= cfg.jobs.max(1) {
                break;
            }
            running.insert(t.name.clone());
            let (t, ctx, shared, tx) = (t.clone(), ctx.clone(), shared.clone(), tx.clone());
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
    let mut out: Vec<TaskReport> = dag
        .tasks
        .iter()
        .filter_map(|t| reports.remove(&t.name))
        .collect();
    if let Some(exit) = &spec.on_exit
        && cfg.interrupt.is_raised()
    {
        // (as Argo's `terminate`: an interrupted run runs no exit handler)
        shared.say(exit, &format!("not run: {}", cfg.interrupt.reason()));
        out.push(TaskReport::new(
            exit,
            Status::NotRun(cfg.interrupt.reason()),
        ));
    } else if let Some(exit) = &spec.on_exit {
        let ok = out.iter().all(|r| {
            matches!(
                r.status,
                Status::Succeeded | Status::Cached | Status::Skipped(_)
            )
        });
        let handler = DagTask {
            name: exit.clone(),
            template: exit.clone(),
            ..DagTask::default()
        };
        let mut ctx = (*ctx).clone();
        ctx.workflow_status = Some(if ok { "Succeeded" } else { "Failed" }.to_owned());
        out.push(task::execute(&handler, &ctx, &shared));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
