//! Everything the KFP target cannot express, found before lowering: errors
//! stop the compile, warned losses travel with the output. `validate_for`
//! and `compile_kfp` both run this, so they agree.

use super::{Problem, executor, kubernetes, plan::Plan, retry};
use crate::ir::{PipelineData, TaskNode};
use crate::kfp_feature::KfpFeature;
use crate::options::KfpOptions;
use crate::param::Value;

/// Every KFP problem and loss of `d`, pipeline-level first, then per task.
pub(crate) fn check(d: &PipelineData, opts: &KfpOptions) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut pipeline = |feature| {
        out.push(Problem {
            task: None,
            location: d.location,
            feature,
        })
    };
    if let Some(name) = &d.service_account {
        pipeline(KfpFeature::ServiceAccount { name: name.clone() });
    }
    if d.pod_gc.is_some() {
        pipeline(KfpFeature::PodGc);
    }
    if !d.labels.is_empty() || !d.annotations.is_empty() {
        pipeline(KfpFeature::WorkflowMetadata);
    }
    if d.schedule.is_some() {
        pipeline(KfpFeature::Schedule);
    }
    for t in d.tasks.iter().chain(&d.exits) {
        for feature in task(d, t, opts) {
            out.push(Problem {
                task: Some(t.name.clone()),
                location: t.location,
                feature,
            });
        }
    }
    out.extend(Plan::build(d).problems);
    out
}

fn task(d: &PipelineData, t: &TaskNode, opts: &KfpOptions) -> Vec<KfpFeature> {
    let mut out = Vec::new();
    let image = d.image_of(t, opts.image.as_deref()).unwrap_or_default();
    if let Err(f) = executor::container(t, image) {
        out.push(f);
    }
    out.extend(kubernetes::executor_config(d, t).1);
    if let Some(r) = &t.settings.retry {
        match retry::policy(r) {
            Ok((_, Some(policy))) => out.push(KfpFeature::RetryPolicy { policy }),
            Ok(_) => {}
            Err(f) => out.push(f),
        }
    }
    if let Some((m, _)) = &t.settings.memoize {
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
    if reads_status && d.exits.iter().any(|e| std::ptr::eq(e, t)) {
        out.push(KfpFeature::FinalStatusFormat);
    }
    out
}
