//! [`Metrics`] and [`UiMetadata`]: the Kubeflow Pipelines files a step
//! function writes, as parameters of the function.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;

use crate::kfp::{Metric, UiOutput};

macro_rules! kfp_file {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            path: PathBuf,
        }

        impl $name {
            /// The file at `path` (the runtime makes it from the command
            /// line; tests of step functions can too).
            pub fn new(path: impl Into<PathBuf>) -> Self {
                Self { path: path.into() }
            }

            /// Where the file is written.
            pub fn path(&self) -> &Path {
                &self.path
            }
        }

        impl AsRef<Path> for $name {
            fn as_ref(&self) -> &Path {
                &self.path
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Infallible> {
                Ok(Self::new(s))
            }
        }
    };
}

kfp_file!(
    /// Kubeflow Pipelines' metrics file (`mlpipeline-metrics`; a
    /// `system.Metrics` artifact in KFP v2): a `metrics: Metrics` parameter
    /// of a `#[kpipe::step]` function declares it, as an output the step
    /// writes on every success (as kfp's `Output[Metrics]`): a step that
    /// succeeds without writing it fails, naming the file.
    Metrics
);

kfp_file!(
    /// Kubeflow Pipelines' UI metadata file (`mlpipeline-ui-metadata`; a
    /// `system.ClassificationMetrics` artifact in KFP v2): a `ui:
    /// UiMetadata` parameter of a `#[kpipe::step]` function declares it,
    /// written on every success like [`Metrics`].
    UiMetadata
);

impl Metrics {
    /// Writes the run's scalar metrics, which KFP shows in its run list and
    /// compares across runs. Names must be KFP's: lower case, digits and `-`.
    pub fn write(&self, metrics: &[Metric]) -> anyhow::Result<()> {
        let json = crate::kfp::metrics_json(metrics)?;
        write(&self.path, &json.to_string())
    }
}

impl UiMetadata {
    /// Writes the visualisations KFP renders (a confusion matrix, markdown, …).
    pub fn write(&self, outputs: &[UiOutput]) -> anyhow::Result<()> {
        write(
            &self.path,
            &crate::kfp::ui_metadata_json(outputs).to_string(),
        )
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::fsutil::write_bytes_atomic(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_kfp_s_file() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let m = Metrics::new(tmp.path().join("mlpipeline-metrics.json"));
        m.write(&[Metric::raw("rmse", 0.5)])
            .unwrap_or_else(|e| panic!("{e:#}"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(m.path()).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(v["metrics"][0]["name"], "rmse");
        let err = m
            .write(&[Metric::raw("RMSE", 0.5)])
            .err()
            .map(|e| format!("{e:#}"));
        assert!(err.unwrap_or_default().contains("metric name `RMSE`"));
    }
}
