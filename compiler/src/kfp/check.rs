//! What the KFP target loses of a pipeline that the lowering does not meet
//! on its way: pipeline-level settings, and per task the losses of
//! memoization, optional outputs and the final status's format. The
//! lowering (`lower.rs`) reports everything else as it meets it, in one pass.

use super::Problem;
use crate::diagnostic::KfpFeature;
use crate::ir::{PipelineData, TaskNode, Value};

/// The pipeline-level losses of `d`.
pub(crate) fn pipeline(d: &PipelineData) -> Vec<Problem> {
    let mut features = Vec::new();
    if let Some(name) = &d.service_account {
        features.push(KfpFeature::ServiceAccount { name: name.clone() });
    }
    if d.pod_gc.is_some() {
        features.push(KfpFeature::PodGc);
    }
    if !d.labels.is_empty() || !d.annotations.is_empty() {
        features.push(KfpFeature::WorkflowMetadata);
    }
    if d.schedule.is_some() {
        features.push(KfpFeature::Schedule);
    }
    features
        .into_iter()
        .map(|feature| Problem {
            task: None,
            location: d.location,
            feature,
        })
        .collect()
}

/// The losses of task `t` (`exit`: it is the exit handler; `cached`: KFP
/// may serve it from its cache).
pub(crate) fn task(t: &TaskNode, exit: bool, cached: bool) -> Vec<KfpFeature> {
    let mut out = Vec::new();
    // (not cached on KFP: memoization has nothing there to lose to)
    if let Some((m, _)) = t.settings.memoize.as_ref().filter(|_| cached) {
        let mut lost = vec![
            format!("config map `{}`", m.config_map),
            format!("maximum age {}", m.max_age),
        ];
        if m.key.as_literal().is_none() {
            lost.push("run-time key".to_owned());
        }
        out.push(KfpFeature::Memoize {
            detail: lost.join(", "),
        });
    }
    for o in t.outputs.iter().filter(|o| o.optional) {
        out.push(KfpFeature::OptionalOutput {
            output: o.name.clone(),
        });
    }
    let reads_status = t.params.iter().any(|p| p.value == Value::WorkflowStatus);
    if reads_status && exit {
        out.push(KfpFeature::FinalStatusFormat);
    }
    out
}
