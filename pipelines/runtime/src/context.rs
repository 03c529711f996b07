//! What a running step gets from the runtime besides its arguments.

use std::fmt::Display;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use crate::kfp::{Metric, UiOutput};

/// How a step's log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `message` (the workflow engine and `run --local` add the step name).
    #[default]
    Text,
    /// `{"level":"info","step":"prepare","msg":"…"}`, one object a line.
    Json,
}

/// The running step: logging and the files a step hands to the workflow
/// engine (output parameters, KFP metrics and UI metadata).
#[derive(Debug)]
pub struct Context {
    step: &'static str,
    format: LogFormat,
}

impl Context {
    /// A context for `step` logging in `format` (the runtime makes it; tests
    /// of step functions can too).
    pub fn new(step: &'static str, format: LogFormat) -> Self {
        Self { step, format }
    }

    /// The step's name.
    pub fn step(&self) -> &'static str {
        self.step
    }

    /// Logs a line at level info (to stderr, like every log line).
    pub fn info(&self, msg: impl Display) {
        self.log("info", msg);
    }

    /// Logs a warning.
    pub fn warn(&self, msg: impl Display) {
        self.log("warn", msg);
    }

    /// Logs an error (the runtime logs the error a step returns, once).
    pub fn error(&self, msg: impl Display) {
        self.log("error", msg);
    }

    fn log(&self, level: &str, msg: impl Display) {
        let line = match self.format {
            LogFormat::Text if level == "info" => msg.to_string(),
            LogFormat::Text => format!("{level}: {msg}"),
            LogFormat::Json => serde_json::json!({
                "level": level,
                "step": self.step,
                "msg": msg.to_string(),
            })
            .to_string(),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// Writes output parameter `path` (what `Io::output_param` returned when
    /// the step was wired): the value as text, nothing else.
    pub fn write_param(&self, path: &Path, value: impl Display) -> anyhow::Result<()> {
        write_file(path, value.to_string().as_bytes())
    }

    /// Writes Kubeflow Pipelines' metrics file (`Io::kfp_metrics`): the
    /// run's scalar metrics, which KFP shows in its run list and compares
    /// across runs. Names must be KFP's: lower case, digits and `-`.
    pub fn write_metrics(&self, path: &Path, metrics: &[Metric]) -> anyhow::Result<()> {
        let json = crate::kfp::metrics_json(metrics)?;
        write_file(path, json.to_string().as_bytes())
    }

    /// Writes Kubeflow Pipelines' UI metadata file (`Io::kfp_ui_metadata`):
    /// visualisations KFP renders (a confusion matrix, markdown, …).
    pub fn write_ui_metadata(&self, path: &Path, outputs: &[UiOutput]) -> anyhow::Result<()> {
        let json = crate::kfp::ui_metadata_json(outputs);
        write_file(path, json.to_string().as_bytes())
    }
}

/// Writes `path` atomically (a temporary file renamed into place), creating
/// its directory.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::fsutil::write_bytes_atomic(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_with_their_directories() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ctx = Context::new("t", LogFormat::Text);
        let p = tmp.path().join("a/b/count.param");
        ctx.write_param(&p, 42).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(std::fs::read_to_string(&p).unwrap_or_default(), "42");
        let m = tmp.path().join("m/mlpipeline-metrics.json");
        ctx.write_metrics(
            &m,
            &[
                Metric::raw("rmse", 0.5),
                Metric::percentage("accuracy", 0.9),
            ],
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&m).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(v["metrics"][1]["format"], "PERCENTAGE");
        assert_eq!(v["metrics"][0]["numberValue"], 0.5);
    }

    #[test]
    fn a_metric_name_kfp_would_reject_is_an_error() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let ctx = Context::new("t", LogFormat::Text);
        let err = ctx
            .write_metrics(&tmp.path().join("m.json"), &[Metric::raw("ROC AUC", 0.5)])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("metric name `ROC AUC`"), "{err}");
        assert!(!tmp.path().join("m.json").exists());
    }
}
