//! The second target: Kubeflow Pipelines v2 IR, a `PipelineSpec` document
//! (pipeline_spec.proto, KFP 2.17) and a `PlatformSpec` document with the
//! Kubernetes settings (kfp-kubernetes 2.17), separated by `---`.
//!
//! ```text
//! IR (ir.rs) ──plan.rs──▶ DAG tree: root ⊃ exit-handler-1 ⊃ for-loop-N ⊃ condition-N ⊃ tasks,
//!    │                     pipeline channels between them, dependency edges per DAG
//!    ├─check.rs──▶ errors (cannot express) and warned losses, before lowering
//!    └─lower.rs──▶ spec.rs + platform.rs wire structs (executor.rs, kubernetes.rs,
//!                  cel.rs, retry.rs per task) ──emit.rs──▶ YAML
//! ```
//!
//! What maps how, and every loss, is tabled in the README section
//! "Kubeflow Pipelines v2 IR"; the wording of each loss is in
//! `kfp_feature.rs`.

mod cel;
pub(crate) mod check;
pub(crate) mod executor;
mod kubernetes;
pub(crate) mod lower;
mod place;
mod plan;
mod platform;
mod retry;
mod scope;
mod spec;
mod types;

use crate::diagnostic::KfpFeature;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::location::Location;

/// KFP's placeholder of the run's name (what Argo calls `{{workflow.name}}`).
pub(crate) const JOB_NAME: &str = "{{$.pipeline_job_name}}";

/// A pipeline compiled to Kubeflow Pipelines v2 IR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The IR file: the `PipelineSpec` document, then (when a task has
    /// Kubernetes settings) `---` and the `PlatformSpec` document.
    pub yaml: String,
    /// What KFP cannot express exactly and does differently; each is a
    /// [`Severity::Warning`](crate::Severity::Warning) diagnostic.
    pub warnings: Vec<Diagnostic>,
}

/// One KFP problem or loss, before it becomes a [`Diagnostic`].
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub(crate) task: Option<String>,
    pub(crate) location: Location,
    pub(crate) feature: KfpFeature,
}

impl Problem {
    pub(crate) fn into_diagnostic(self) -> Diagnostic {
        Diagnostic::new(
            DiagnosticKind::Kfp {
                task: self.task,
                feature: self.feature,
            },
            self.location,
        )
    }
}

#[cfg(test)]
mod tests;
