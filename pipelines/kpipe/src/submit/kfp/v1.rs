//! KFP's v1beta1 API: the one that runs Argo Workflow YAML (KFP 1.x, and
//! 2.x's v1 compatibility API).
//!
//! | call | request |
//! |---|---|
//! | find pipeline | `GET pipelines?filter={name EQUALS}` |
//! | upload pipeline | `POST pipelines/upload` (multipart; `name`, `description`, `namespace`) → `default_version.id` |
//! | find version | `GET pipeline_versions?resource_key.type=PIPELINE&resource_key.id=…&filter=…` |
//! | upload version | `POST pipelines/upload_version` (`name`, `pipelineid`, …) |
//! | experiment | `GET experiments?filter=…[&resource_reference_key.type=NAMESPACE…]`, `POST experiments` |
//! | run | `POST runs` (`pipeline_spec.parameters`, `resource_references`), `GET runs/{id}`, `POST runs/{id}/terminate` |
//! | retry | `POST runs/{id}/retry` |

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::NewRun;
use super::dialect::{Dialect, FirstVersion, Ids, Owner, PipelineLookup, RunAction, VersionList};
use super::follow::{Outcome, RunView};
use crate::submit::progress::argo_nodes;

/// The v1beta1 API.
pub(crate) const V1BETA1: Dialect = Dialect {
    version: "v1beta1",
    find_pipeline: PipelineLookup::Filtered,
    versions: VersionList::ByResourceKey,
    first_version: FirstVersion::InAnswer,
    ids: Ids {
        pipeline: "/id",
        version: "/id",
        experiment: "/id",
        run: "/run/id",
    },
    filter_op: "op",
    experiment_name: "name",
    owner: Owner::ResourceReference,
    version_namespace: true,
    upload_not_found: None,
    run_action: RunAction::Segment,
    follows_ir_tasks: false,
    run_body,
    view,
};

/// The run to create: string parameters under `pipeline_spec`, the
/// experiment and the version as resource references.
fn run_body(run: &NewRun<'_>) -> Value {
    let parameters: Vec<Value> = (run.parameters.iter())
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    let mut body = json!({
        "name": run.name,
        "pipeline_spec": {"parameters": parameters},
        "resource_references": [
            {"key": {"type": "EXPERIMENT", "id": run.experiment}, "relationship": "OWNER"},
            {"key": {"type": "PIPELINE_VERSION", "id": run.version}, "relationship": "CREATOR"},
        ],
    });
    if let Some(sa) = run.service_account {
        body["service_account"] = Value::String(sa.to_owned());
    }
    body
}

/// A `apiRunDetail` as kpipe follows it: the run's `status` and `error`,
/// and the nodes of its Argo Workflow (`pipeline_runtime.workflow_manifest`).
fn view(detail: &Value, _: &BTreeSet<String>) -> RunView {
    let mut tasks = Vec::new();
    if let Some(manifest) = detail["pipeline_runtime"]["workflow_manifest"].as_str()
        && let Ok(wf) = serde_json::from_str::<Value>(manifest)
    {
        let workflow = wf["metadata"]["name"].as_str().unwrap_or("");
        tasks = argo_nodes(workflow, &wf["status"]);
    }
    let run = &detail["run"];
    let state = run["status"].as_str().unwrap_or("").to_owned();
    let outcome = match state.as_str() {
        "Succeeded" | "Completed" => Outcome::Succeeded,
        "Failed" | "Terminated" | "Canceled" => Outcome::Failed,
        "Error" => Outcome::Error,
        _ => Outcome::Running,
    };
    RunView {
        outcome,
        message: run["error"].as_str().unwrap_or("").to_owned(),
        state,
        tasks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_carry_string_parameters_and_resource_references() {
        let parameters = [("pr".to_owned(), json!("42"))];
        assert_eq!(
            run_body(&NewRun::example(&parameters)),
            json!({
                "name": "test-42-abc",
                "pipeline_spec": {"parameters": [{"name": "pr", "value": "42"}]},
                "resource_references": [
                    {"key": {"type": "EXPERIMENT", "id": "e-1"}, "relationship": "OWNER"},
                    {"key": {"type": "PIPELINE_VERSION", "id": "v-2"}, "relationship": "CREATOR"},
                ],
                "service_account": "pipeline-runner",
            })
        );
    }

    #[test]
    fn a_run_s_status_decides_its_outcome() {
        for (status, outcome) in [
            ("Running", Outcome::Running),
            ("", Outcome::Running),
            ("Succeeded", Outcome::Succeeded),
            ("Completed", Outcome::Succeeded),
            ("Failed", Outcome::Failed),
            ("Terminated", Outcome::Failed),
            ("Error", Outcome::Error),
        ] {
            let detail = json!({"run": {"status": status, "error": "boom"}});
            let view = view(&detail, &BTreeSet::new());
            assert_eq!(
                (view.outcome, view.message.as_str()),
                (outcome, "boom"),
                "{status}"
            );
        }
    }
}
