//! The record of a local run: what ran, with which values and engine, and
//! how each task ended — kept as `run.json` in the workdir
//! ([`Layout::record`]), next to the files it describes. The report renders
//! it; a later run reads it to reuse what this one made.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::layout::Layout;
use super::{Status, TaskReport};

/// Bumped when the record's shape changes (an older record is not read).
const VERSION: u32 = 1;

/// One finished (or interrupted) local run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record's format.
    pub version: u32,
    /// The pipeline's name.
    pub pipeline: String,
    /// How the steps ran (`process`, `podman`).
    pub engine: String,
    /// Every parameter's value, in declaration order.
    pub params: Vec<(String, String)>,
    /// The parameters set for this run (`-p`, the profile, the preparation).
    pub given: Vec<String>,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Why the run stopped halfway, if it did.
    pub interrupted: Option<String>,
    /// Every task, in the order the run lists them.
    pub tasks: Vec<TaskRecord>,
}

/// How one task ended, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Task name.
    pub name: String,
    /// `succeeded`, `cached`, `failed`, `skipped`, `not-run`.
    pub status: String,
    /// Why (failed, skipped, not run, cached).
    pub why: Option<String>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts retried.
    pub retries: u32,
    /// The last attempt's exit code.
    pub exit_code: Option<i32>,
    /// The last command line.
    pub command: Vec<String>,
    /// The task's directories (one per loop item).
    pub dirs: Vec<PathBuf>,
    /// Seconds spent hashing for the cache.
    #[serde(default)]
    pub hashing: f64,
}

impl From<&TaskReport> for TaskRecord {
    fn from(r: &TaskReport) -> Self {
        let (status, why) = match &r.status {
            Status::Succeeded => ("succeeded", None),
            Status::Cached => ("cached", Some(super::REUSED.to_owned())),
            Status::Failed(w) => ("failed", Some(w.clone())),
            Status::Skipped(w) => ("skipped", Some(w.clone())),
            Status::NotRun(w) => ("not-run", Some(w.clone())),
            Status::Reused => ("reused", Some(super::REUSED_LAST.to_owned())),
        };
        Self {
            name: r.name.clone(),
            status: status.to_owned(),
            why,
            seconds: r.duration.as_secs_f64(),
            attempts: r.attempts,
            retries: r.retries,
            exit_code: r.exit_code,
            command: r.command.clone(),
            dirs: r.dirs.clone(),
            hashing: r.hashing.as_secs_f64(),
        }
    }
}

impl From<&TaskRecord> for TaskReport {
    fn from(t: &TaskRecord) -> Self {
        let why = t.why.clone().unwrap_or_default();
        Self {
            name: t.name.clone(),
            status: match t.status.as_str() {
                "succeeded" => Status::Succeeded,
                "cached" => Status::Cached,
                "skipped" => Status::Skipped(why),
                "not-run" => Status::NotRun(why),
                "reused" => Status::Reused,
                _ => Status::Failed(why),
            },
            duration: Duration::from_secs_f64(t.seconds.max(0.0)),
            attempts: t.attempts,
            retries: t.retries,
            exit_code: t.exit_code,
            command: t.command.clone(),
            dirs: t.dirs.clone(),
            hashing: Duration::from_secs_f64(t.hashing.max(0.0)),
        }
    }
}

impl Record {
    /// A record of `reports`.
    pub fn new(
        pipeline: &str,
        engine: &str,
        params: Vec<(String, String)>,
        given: Vec<String>,
        seconds: f64,
        interrupted: Option<String>,
        reports: &[TaskReport],
    ) -> Self {
        Self {
            version: VERSION,
            pipeline: pipeline.to_owned(),
            engine: engine.to_owned(),
            params,
            given,
            seconds,
            interrupted,
            tasks: reports.iter().map(TaskRecord::from).collect(),
        }
    }

    /// The tasks as reports.
    pub fn reports(&self) -> Vec<TaskReport> {
        self.tasks.iter().map(TaskReport::from).collect()
    }

    /// Writes the record into `layout`'s workdir, atomically.
    pub fn save(&self, layout: &Layout) -> anyhow::Result<()> {
        let path = layout.record();
        let text = serde_json::to_string_pretty(self).context("cannot write the run record")?;
        crate::fsutil::write_bytes_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write the run record {}", path.display()))
    }

    /// The record of the last run in `layout`'s workdir, if there is a
    /// readable one of this version.
    pub fn load(layout: &Layout) -> Option<Self> {
        let text = std::fs::read_to_string(layout.record()).ok()?;
        serde_json::from_str::<Self>(&text)
            .ok()
            .filter(|r| r.version == VERSION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_the_workdir() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout::new(tmp.path());
        let mut failed = TaskReport::new("b", Status::Failed("exit 3".into()));
        failed.attempts = 2;
        failed.retries = 1;
        failed.exit_code = Some(3);
        failed.dirs = vec![layout.task_dir("b", None)];
        let reports = vec![TaskReport::new("a", Status::Cached), failed];
        let r = Record::new(
            "p",
            "process",
            vec![("n".into(), "3".into())],
            vec!["n".into()],
            1.5,
            None,
            &reports,
        );
        r.save(&layout).unwrap_or_else(|e| panic!("{e:#}"));
        let back = Record::load(&layout).unwrap_or_else(|| panic!("no record"));
        assert_eq!(back, r);
        let again = back.reports();
        assert_eq!(again[1].status, Status::Failed("exit 3".into()));
        assert_eq!(again[0].status, Status::Cached);
        std::fs::write(layout.record(), "{\"version\": 0}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Record::load(&layout), None);
    }
}
