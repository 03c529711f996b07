//! `run --local`: executes a pipeline's typed IR on this machine — the IR
//! `kpipe compile` lowers to the workflow a cluster runs, with the run's
//! parameters bound.
//!
//! The entrypoint DAG's tasks run in dependency order, up to `jobs` at a
//! time; `when` conditions are evaluated (`Cond::evaluate`, the compiler's
//! definition); each container's command runs through an [`Engine`] — a
//! local process (the default; the image is not pulled, like KFP's
//! SubprocessRunner) with its container paths mapped into a per-task
//! directory; input artifacts are copied from their producers' outputs (as
//! Argo copies them); retries, backoff and deadlines follow the task's
//! `Retry` and timeout; every output line is prefixed with the task and kept
//! in the task's log; steps whose inputs did not change since their last
//! successful run are reused ([`cache`]). A failed task stops its
//! dependants, which are reported as not run; the exit handler runs last.
//!
//! The modules: [`layout`] knows where every file of a run goes,
//! [`resolve`] gives a task's values, [`task`] runs one task (its `when`,
//! its loop), [`iteration`] one loop item — [`cache`] (the key),
//! [`workspace`] (its directory and mounts), [`attempts`] (retries,
//! [`process`]), [`collect`] (its outputs) — and this module schedules the
//! DAG.

mod attempts;
mod cache;
mod collect;
mod engine;
mod interrupt;
mod iteration;
mod layout;
mod lock;
mod process;
mod programs;
mod record;
mod resolve;
mod select;
mod store;
mod task;
mod workspace;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use kpipe_compiler::ir::PipelineData;

use crate::LocalEnv;

pub use engine::{Engine, Podman, PodmanSettings};
pub use interrupt::{GRACE, Interrupt, Stop};
pub use layout::Layout;
pub use record::{Record, TaskRecord};
pub use select::Selection;
pub(crate) use workspace::set_mode;

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
    /// A task it depends on failed, or it was not selected.
    NotRun(String),
    /// Not selected (a partial run): the workdir's last run's outputs are
    /// reused.
    Reused,
}

/// What a task that a partial run did not select says.
pub(crate) const REUSED_LAST: &str = "not selected: the last run's outputs reused";

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
    /// The task's directories (one per loop item that ran or was cached).
    pub dirs: Vec<PathBuf>,
    /// Each of `dirs`' loop item as people read it (`None`: not a loop).
    pub items: Vec<Option<String>>,
    /// Time spent hashing its program and inputs for the cache (not in
    /// `duration`).
    pub hashing: Duration,
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
            items: Vec::new(),
            hashing: Duration::ZERO,
        }
    }

    /// A loop's items by value, as the summaries show them: `3 items (a,
    /// b, c)`; `None` when the task is not a loop or no item ran.
    pub fn items_note(&self) -> Option<String> {
        let items: Vec<&str> = self.items.iter().flatten().map(String::as_str).collect();
        let shown = match items.as_slice() {
            [] => return None,
            [first @ .., last] if items.len() > 6 => {
                format!("{}, … {last}", first[..5].join(", "))
            }
            all => all.join(", "),
        };
        let noun = if items.len() == 1 { "item" } else { "items" };
        Some(format!("{} {noun} ({shown})", items.len()))
    }
}

/// Settings of a local run.
#[derive(Clone, Debug)]
pub struct LocalRun {
    /// Where the run's files go.
    pub layout: Layout,
    /// Every parameter's value (bound: defaults and `-p`).
    pub params: BTreeMap<String, String>,
    /// The programs the steps' commands name.
    pub env: LocalEnv,
    /// Secrets given with `--secret`: name → the directory of its keys.
    pub secrets: BTreeMap<String, PathBuf>,
    /// How each step runs.
    pub engine: Engine,
    /// Tasks at once.
    pub jobs: usize,
    /// Reuse the outputs of steps whose inputs did not change.
    pub cache: bool,
    /// Stops the run halfway (the CLI raises it on Ctrl-C and SIGTERM).
    pub interrupt: Stop,
    /// Which part of the pipeline runs.
    pub selection: Selection,
}

/// What a finished task leaves for later tasks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Finished {
    /// Output artifact name → local path.
    pub(crate) artifacts: BTreeMap<String, PathBuf>,
    /// Output parameter name → value (of a loop: its last item's).
    pub(crate) params: BTreeMap<String, String>,
    /// A loop's items that succeeded, in item order: each one's output
    /// parameters (what a fan-in collects, `Value::Collected`).
    pub(crate) items: Vec<BTreeMap<String, String>>,
}

/// State the task threads share.
pub(crate) struct Shared {
    out: Mutex<Box<dyn Write + Send>>,
    finished: Mutex<BTreeMap<String, Finished>>,
    pub(crate) programs: programs::Programs,
    lock: Option<lock::WorkdirLock>,
}

impl Shared {
    /// A step's process group started.
    pub(crate) fn track(&self, group: u32) {
        if let Some(l) = &self.lock {
            l.started(group);
        }
    }

    /// A step's process group ended.
    pub(crate) fn untrack(&self, group: u32) {
        if let Some(l) = &self.lock {
            l.ended(group);
        }
    }

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

    /// Records what `task` left.
    pub(crate) fn finish(&self, task: &str, f: Finished) {
        if let Ok(mut all) = self.finished.lock() {
            all.insert(task.to_owned(), f);
        }
    }
}

/// What every task of a run reads.
#[derive(Clone, Debug)]
pub(crate) struct RunContext {
    pub(crate) plan: Arc<PipelineData>,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) layout: Layout,
    pub(crate) env: LocalEnv,
    pub(crate) secrets: BTreeMap<String, PathBuf>,
    pub(crate) engine: Engine,
    pub(crate) workflow_name: String,
    /// Set for the exit handler: how the workflow ended.
    pub(crate) workflow_status: Option<String>,
    pub(crate) cache: bool,
    pub(crate) interrupt: Stop,
    /// Tasks that run even when cached (selected by a partial run).
    pub(crate) forced: BTreeSet<String>,
}

impl RunContext {
    /// What a task's values see.
    pub(crate) fn scope<'a>(
        &'a self,
        finished: &'a BTreeMap<String, Finished>,
        item: Option<&'a serde_json::Value>,
    ) -> resolve::Scope<'a> {
        resolve::Scope {
            params: &self.params,
            workflow_name: &self.workflow_name,
            workflow_status: self.workflow_status.as_deref(),
            finished,
            item,
        }
    }

    /// Whether the run was given key `key` of secret `secret`.
    pub(crate) fn secret_has(&self, secret: &str, key: &str) -> bool {
        self.secrets
            .get(secret)
            .is_some_and(|dir| dir.join(key).is_file())
    }

    /// The value of key `key` of secret `secret`, if the run was given it.
    pub(crate) fn secret_value(&self, secret: &str, key: &str) -> anyhow::Result<Option<String>> {
        let Some(dir) = self.secrets.get(secret) else {
            return Ok(None);
        };
        let path = dir.join(key);
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read key `{key}` of secret `{secret}`"))?;
        Ok(Some(text))
    }
}

/// Runs `plan`'s tasks (and its exit handler) locally.
pub fn run(
    plan: &Arc<PipelineData>,
    cfg: &LocalRun,
    out: Box<dyn Write + Send>,
) -> anyhow::Result<Vec<TaskReport>> {
    let workdir = cfg.layout.workdir();
    std::fs::create_dir_all(workdir)
        .with_context(|| format!("cannot create {}", workdir.display()))?;
    let plans = cfg.selection.plans(plan)?;
    let last = Record::load(&cfg.layout);
    let previous = |i: usize| {
        let t = &plan.tasks[i];
        let dirs = [cfg.layout.task_dir(&t.name, None)];
        select::last_outputs(last.as_ref(), &t.name, &dirs)
    };
    // `--only`: every input must be in the workdir before anything runs.
    for (i, p) in plans.iter().enumerate() {
        if *p != select::Plan::Force {
            continue;
        }
        for a in &plan.tasks[i].inputs {
            let (producer, _) = a.producer();
            if plans[producer]
                == (select::Plan::Reuse {
                    runs_otherwise: false,
                })
                && previous(producer).is_none()
            {
                anyhow::bail!(
                    "{}: step `{}` reads `{}` from `{}`, which left no outputs in {} (run it first, e.g. with --from {}); nothing was run",
                    cfg.selection.describe(),
                    plan.tasks[i].name,
                    a.name,
                    plan.tasks[producer].name,
                    workdir.display(),
                    plan.tasks[producer].name
                );
            }
        }
    }
    let (lock, mut notes) = lock::WorkdirLock::acquire(&cfg.layout)?;
    if let Engine::Podman(p) = &cfg.engine {
        let left = p.remove_leftovers()?;
        if !left.is_empty() {
            notes.push(format!(
                "removed the containers a killed run left in this workdir: {}",
                left.join(", ")
            ));
        }
    }
    let shared = Arc::new(Shared {
        out: Mutex::new(out),
        finished: Mutex::new(BTreeMap::new()),
        programs: programs::Programs::new(&cfg.layout),
        lock: Some(lock),
    });
    for note in notes {
        shared.say("kpipe", &format!("note: {note}"));
    }
    let ctx = Arc::new(RunContext {
        plan: plan.clone(),
        params: cfg.params.clone(),
        layout: cfg.layout.clone(),
        env: cfg.env.clone(),
        secrets: cfg.secrets.clone(),
        engine: cfg.engine.clone(),
        workflow_name: format!("{}-local", plan.name),
        workflow_status: None,
        cache: cfg.cache,
        interrupt: cfg.interrupt.clone(),
        forced: plans
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == select::Plan::Force)
            .map(|(i, _)| plan.tasks[i].name.clone())
            .collect(),
    });
    let deps = plan.dependencies();
    let order = plan.order();
    let mut reports: BTreeMap<usize, TaskReport> = BTreeMap::new();
    let mut running: BTreeSet<usize> = BTreeSet::new();
    let (tx, rx) = mpsc::channel::<(usize, TaskReport)>();
    loop {
        // Tasks whose dependencies all finished.
        for &i in &order {
            if reports.contains_key(&i) || running.contains(&i) {
                continue;
            }
            let done: Vec<&TaskReport> = deps[i].iter().filter_map(|d| reports.get(d)).collect();
            if done.len() < deps[i].len() {
                continue;
            }
            let name = &plan.tasks[i].name;
            if cfg.interrupt.is_raised() {
                // nothing starts after an interrupt
                let why = cfg.interrupt.reason();
                reports.insert(i, TaskReport::new(name, Status::NotRun(why)));
                continue;
            }
            if plans[i] == select::Plan::Skip {
                let why = format!("not selected ({})", cfg.selection.describe());
                reports.insert(i, TaskReport::new(name, Status::NotRun(why)));
                continue;
            }
            if let Some(bad) = done
                .iter()
                .find(|r| matches!(r.status, Status::Failed(_) | Status::NotRun(_)))
            {
                let why = format!("`{}` did not succeed", bad.name);
                shared.say(name, &format!("not run: {why}"));
                reports.insert(i, TaskReport::new(name, Status::NotRun(why)));
                continue;
            }
            match plans[i] {
                select::Plan::Reuse { runs_otherwise } => match previous(i) {
                    Some((f, dirs)) => {
                        shared.say(name, REUSED_LAST);
                        shared.finish(name, f);
                        let mut r = TaskReport::new(name, Status::Reused);
                        r.dirs = dirs;
                        reports.insert(i, r);
                        continue;
                    }
                    None if runs_otherwise => {}
                    None => {
                        let why = "not selected, and the last run left no outputs".to_owned();
                        reports.insert(i, TaskReport::new(name, Status::Failed(why)));
                        continue;
                    }
                },
                select::Plan::Auto | select::Plan::Force | select::Plan::Skip => {}
            }
            if running.len() >= cfg.jobs.max(1) {
                break;
            }
            running.insert(i);
            let (ctx, shared, tx) = (ctx.clone(), shared.clone(), tx.clone());
            std::thread::spawn(move || {
                let report = task::execute(&ctx.plan.tasks[i], &ctx, &shared);
                let _ = tx.send((i, report));
            });
        }
        if running.is_empty() {
            break;
        }
        let Ok((i, done)) = rx.recv() else { break };
        running.remove(&i);
        reports.insert(i, done);
    }
    let mut out: Vec<TaskReport> = order.iter().filter_map(|i| reports.remove(i)).collect();
    if let Some(exit) = plan.exits.first() {
        if cfg.interrupt.is_raised() {
            // (as Argo's `terminate`: an interrupted run runs no exit handler)
            shared.say(&exit.name, &format!("not run: {}", cfg.interrupt.reason()));
            out.push(TaskReport::new(
                &exit.name,
                Status::NotRun(cfg.interrupt.reason()),
            ));
        } else {
            let ok = out.iter().all(|r| {
                matches!(
                    r.status,
                    Status::Succeeded | Status::Cached | Status::Skipped(_) | Status::Reused
                )
            });
            let mut ctx = (*ctx).clone();
            ctx.workflow_status = Some(if ok { "Succeeded" } else { "Failed" }.to_owned());
            out.push(task::execute(exit, &ctx, &shared));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
