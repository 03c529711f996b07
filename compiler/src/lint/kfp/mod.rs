//! `kpipe lint` of Kubeflow Pipelines v2 IR files: as strict as KFP's own
//! parsers where they are strict, and stricter where KFP is silently lenient.
//!
//! - Document 1 against `PipelineSpec` and its `deploymentSpec` (a `Struct`
//!   in the proto) against `PipelineDeploymentConfig`: KFP's Argo compiler
//!   reads `deploymentSpec` with `DiscardUnknown`, so a misspelt key there is
//!   silently dropped by the backend; here it is a problem.
//! - Document 2 against `PlatformSpec`, and each Kubernetes executor entry (a
//!   `Struct`) against `KubernetesExecutorConfig`: the apiserver ignores a
//!   platform document that does not parse.
//! - References, dependencies, cycles, placeholders, conditions (`refs.rs`).
//!
//! The known keys come from the vendored protos (`schemas/kfp/`, KFP 2.17),
//! read at first use by a small `.proto` reader (`proto.rs`). Both a field's
//! JSON name (`dependentTasks`, what KFP writes) and its proto name
//! (`dependent_tasks`) are accepted, as protobuf's JSON parsers accept both.

mod proto;
mod refs;
mod strict;

use std::sync::OnceLock;

use serde_json::Value;

use super::LintIssue;
use proto::Schema;
use strict::issue;

fn schema() -> Result<&'static Schema, String> {
    static SCHEMA: OnceLock<Result<Schema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Schema::parse(&[
                include_str!("../../../schemas/kfp/pipeline_spec.proto"),
                include_str!("../../../schemas/kfp/kubernetes_executor_config.proto"),
            ])
            .map_err(|e| format!("the vendored KFP protos do not parse: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Lints the documents of an IR file (one `PipelineSpec`, optionally a
/// `PlatformSpec`): every problem at once, each with its path.
pub fn lint_kfp_documents(docs: &[Value]) -> Vec<LintIssue> {
    let schema = match schema() {
        Ok(s) => s,
        Err(e) => return vec![issue("document", &e)],
    };
    let mut out = Vec::new();
    let (spec, platform) = match docs {
        [spec] => (spec, None),
        [spec, platform] => (spec, Some(platform)),
        _ => {
            return vec![issue(
                "document",
                &format!(
                    "an IR file holds a PipelineSpec and optionally a PlatformSpec, found {} documents",
                    docs.len()
                ),
            )];
        }
    };
    strict::message(schema, spec, "ml_pipelines.PipelineSpec", "", &mut out);
    if let Some(deployment) = spec.get("deploymentSpec") {
        strict::message(
            schema,
            deployment,
            "ml_pipelines.PipelineDeploymentConfig",
            "deploymentSpec",
            &mut out,
        );
    }
    if let Some(platform) = platform {
        strict::message(schema, platform, "ml_pipelines.PlatformSpec", "", &mut out);
        let executors = platform
            .pointer("/platforms/kubernetes/deploymentSpec/executors")
            .and_then(Value::as_object);
        for (label, config) in executors.into_iter().flatten() {
            strict::message(
                schema,
                config,
                "kfp_kubernetes.KubernetesExecutorConfig",
                &format!("platforms[kubernetes].deploymentSpec.executors[{label}]"),
                &mut out,
            );
        }
    }
    refs::check(spec, platform, &mut out);
    out
}

/// Whether parsed documents look like KFP IR (a `PipelineSpec` first) rather
/// than an Argo manifest (`apiVersion`, `kind`).
pub(crate) fn is_ir(docs: &[Value]) -> bool {
    docs.first()
        .and_then(Value::as_object)
        .is_some_and(|first| {
            !first.contains_key("apiVersion")
                && !first.contains_key("kind")
                && [
                    "pipelineInfo",
                    "root",
                    "components",
                    "deploymentSpec",
                    "schemaVersion",
                ]
                .iter()
                .any(|k| first.contains_key(*k))
        })
}

#[cfg(test)]
mod tests;
