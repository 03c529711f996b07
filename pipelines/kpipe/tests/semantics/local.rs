//! The first backend: the local runner (`kpipe::run::run`, process engine)
//! runs a row's pipeline for real, its steps `sh` scripts.

use std::time::{Duration, Instant};

use kpipe::compiler::ir::bind::Bound;
use kpipe::run::{Layout, LocalRun, Status, TaskReport};
use kpipe::{CompileOptions, Pipeline};
use kpipe_testkit::SharedBuf;

use crate::model::{Fate, Observed};

/// A finished local run.
#[derive(Debug)]
pub(crate) struct Local {
    /// Each task's fate, what each run saw read from its log.
    pub(crate) observed: Observed,
    /// The runner's reports.
    pub(crate) reports: Vec<TaskReport>,
    /// Everything the run printed.
    pub(crate) log: String,
    /// How long the run took.
    pub(crate) took: Duration,
    _workdir: tempfile::TempDir,
}

impl Local {
    /// Every line `task` printed, all runs and attempts in order.
    pub(crate) fn local_seen(&self, task: &str) -> Vec<String> {
        match self.observed.get(task) {
            Some(Fate::Ran(runs) | Fate::Failed(runs)) => runs.concat(),
            _ => Vec::new(),
        }
    }

    /// The report of `task`.
    pub(crate) fn report(&self, task: &str) -> &TaskReport {
        self.reports
            .iter()
            .find(|r| r.name == task)
            .unwrap_or_else(|| panic!("no task {task}: {:?}", self.reports))
    }
}

/// Runs `p` with the parameters `bound`.
pub(crate) fn run(p: &Pipeline, bound: &Bound) -> Local {
    let workdir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = p
        .ir(&CompileOptions::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let cfg = LocalRun {
        jobs: 2,
        cache: false,
        ..LocalRun::new(workdir.path(), bound.pairs().into_iter().collect())
    };
    let sink = SharedBuf::default();
    let started = Instant::now();
    let reports =
        kpipe::run::run(&plan, &cfg, Box::new(sink.clone())).unwrap_or_else(|e| panic!("{e:#}"));
    let took = started.elapsed();
    let log = sink.text();
    let observed = reports
        .iter()
        .map(|r| {
            let seen = || r.dirs.iter().map(|d| lines(&Layout::log(d))).collect();
            let fate = match &r.status {
                Status::Succeeded | Status::Cached | Status::Reused => Fate::Ran(seen()),
                Status::Failed(_) => Fate::Failed(seen()),
                Status::Skipped(_) => Fate::Skipped,
                Status::NotRun(_) => Fate::NotRun,
            };
            (r.name.clone(), fate)
        })
        .collect();
    Local {
        observed,
        reports,
        log,
        took,
        _workdir: workdir,
    }
}

/// The lines of a step's log (none when it did not start).
fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}
