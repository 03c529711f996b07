//! KFP's v2beta1 API (KFP 2.x): pipelines are v2 IR, run parameters are
//! typed protobuf `Value`s.
//!
//! | call | request |
//! |---|---|
//! | find pipeline | `GET pipelines/names/{name}?namespace=…` (404: none) |
//! | upload pipeline | `POST pipelines/upload` (multipart; `name`, `description`, `namespace`) → `pipeline_id`; its first version is named after it |
//! | find version | `GET pipelines/{pipeline_id}/versions?filter={name EQUALS}` |
//! | upload version | `POST pipelines/upload_version` (`name`, `pipelineid`, `description`) → `pipeline_version_id` |
//! | experiment | `GET experiments?filter={display_name EQUALS}&namespace=…`, `POST experiments` (`display_name`, `namespace`) |
//! | run | `POST runs` (`experiment_id`, `pipeline_version_reference`, `runtime_config.parameters`), `GET runs/{run_id}` (`state`, `error`, `run_details.task_details`), `POST runs/{run_id}:terminate` |
//! | retry | `POST runs/{run_id}:retry`; the tasks to follow from `GET pipelines/{pipeline_id}/versions/{pipeline_version_id}` (`pipeline_spec`) |
//!
//! KFP 2.x fills `task_details` with every node of the Argo Workflow it runs
//! the IR as: the workflow's own node, `root-driver`, `root`, a
//! `NAME-driver` and a `NAME` DAG per task, and an `executor` pod in each.
//! kpipe follows the pipeline's own tasks (the `NAME` nodes carry their
//! state) and shows a driver only when it fails (a task that could not even
//! start: its inputs, its cache, its pod spec).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::NewRun;
use super::client::Client;
use super::dialect::{Dialect, FirstVersion, Ids, Owner, PipelineLookup, RunAction, VersionList};
use super::follow::{Outcome, RunView};
use crate::submit::progress::Node;

/// What a 404 from the upload endpoints most likely means.
const NO_V2: &str =
    "KFP 1.x serves only the v1beta1 API: submit the Argo Workflow with --kfp-api v1";

/// The v2beta1 API.
pub(crate) const V2BETA1: Dialect = Dialect {
    version: "v2beta1",
    find_pipeline: PipelineLookup::ByName,
    versions: VersionList::UnderPipeline,
    first_version: FirstVersion::NamedAfterPipeline,
    ids: Ids {
        pipeline: "/pipeline_id",
        version: "/pipeline_version_id",
        experiment: "/experiment_id",
        run: "/run_id",
    },
    filter_op: "operation",
    experiment_name: "display_name",
    owner: Owner::Namespace,
    version_namespace: false,
    upload_not_found: Some(NO_V2),
    run_action: RunAction::CustomMethod,
    follows_ir_tasks: true,
    run_body,
    view,
};

/// The names of every task in an IR file (the root DAG's and every
/// component DAG's): what KFP's task details name after the pipeline.
pub(crate) fn task_names(yaml: &str) -> BTreeSet<String> {
    kpipe_compiler::lint::parse_yaml_documents(yaml)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .map(|spec| spec_task_names(&spec))
        .unwrap_or_default()
}

/// The names of every task in a PipelineSpec, or in the
/// `{pipeline_spec, platform_spec}` KFP serves for a package with both.
fn spec_task_names(spec: &Value) -> BTreeSet<String> {
    let spec = if spec["root"].is_object() {
        spec
    } else {
        &spec["pipeline_spec"]
    };
    let dags = std::iter::once(&spec["root"]).chain(
        spec["components"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.values()),
    );
    dags.filter_map(|d| d["dag"]["tasks"].as_object())
        .flat_map(|tasks| tasks.keys().cloned())
        .collect()
}

/// The task names of the IR that run `id` runs: its own `pipeline_spec`,
/// else its pipeline version's (`GET pipelines/{id}/versions/{id}`); empty
/// when KFP shows neither (every task it lists is then followed).
pub(crate) async fn run_task_names(client: &Client, id: &str) -> BTreeSet<String> {
    let get = |segments: &[&str]| client.request(Method::GET, segments);
    let Ok(run) = client
        .send(&format!("read run {id}"), get(&["runs", id]))
        .await
    else {
        return BTreeSet::new();
    };
    let names = spec_task_names(&run["pipeline_spec"]);
    if !names.is_empty() {
        return names;
    }
    let version = &run["pipeline_version_reference"];
    let (Some(pipeline), Some(version)) = (
        version["pipeline_id"].as_str(),
        version["pipeline_version_id"].as_str(),
    ) else {
        return BTreeSet::new();
    };
    let request = get(&["pipelines", pipeline, "versions", version]);
    match client
        .send(&format!("read version {version}"), request)
        .await
    {
        Ok(v) => spec_task_names(&v["pipeline_spec"]),
        Err(_) => BTreeSet::new(),
    }
}

/// The `v2beta1Run` to create: the version to run, the experiment, and the
/// parameters as typed `runtime_config.parameters`.
fn run_body(run: &NewRun<'_>) -> Value {
    let parameters: Map<String, Value> = run.parameters.iter().cloned().collect();
    let mut body = json!({
        "display_name": run.name,
        "description": "submitted by kpipe",
        "experiment_id": run.experiment,
        "pipeline_version_reference": {
            "pipeline_id": run.pipeline,
            "pipeline_version_id": run.version,
        },
        "runtime_config": {"parameters": parameters},
    });
    if let Some(sa) = run.service_account {
        body["service_account"] = Value::String(sa.to_owned());
    }
    body
}

/// A `v2beta1Run` as kpipe follows it: its `state`, `error` and
/// `run_details.task_details` (those of `known` tasks, and failed drivers).
fn view(run: &Value, known: &BTreeSet<String>) -> RunView {
    let state = run["state"].as_str().unwrap_or("").to_owned();
    let outcome = match state.as_str() {
        "SUCCEEDED" | "SKIPPED" => Outcome::Succeeded,
        "FAILED" | "CANCELED" => Outcome::Failed,
        _ => Outcome::Running,
    };
    let all: Vec<(String, Node)> = (run["run_details"]["task_details"].as_array())
        .into_iter()
        .flatten()
        .map(task)
        .collect();
    let tasks = if known.is_empty() {
        all
    } else {
        let failed: BTreeSet<String> = (all.iter())
            .filter(|(_, n)| n.failed && known.contains(&n.step))
            .map(|(_, n)| n.step.clone())
            .collect();
        all.into_iter()
            .filter_map(|(id, mut node)| {
                if known.contains(&node.step) {
                    return Some((id, node));
                }
                // a failed driver, named after its task (once)
                let task = node.step.strip_suffix("-driver")?;
                if !node.failed || failed.contains(task) {
                    return None;
                }
                node.message = if node.message.is_empty() {
                    "its driver failed".to_owned()
                } else {
                    format!("its driver failed: {}", node.message)
                };
                node.step = task.to_owned();
                Some((id, node))
            })
            .collect()
    };
    RunView {
        outcome,
        message: run["error"]["message"].as_str().unwrap_or("").to_owned(),
        state,
        tasks,
    }
}

/// A `v2beta1PipelineTaskDetail` as (task id, step).
fn task(t: &Value) -> (String, Node) {
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let id = text(&t["task_id"])
        .or_else(|| text(&t["display_name"]))
        .unwrap_or_default();
    let phase = text(&t["state"])
        .filter(|s| s != "RUNTIME_STATE_UNSPECIFIED")
        .unwrap_or_else(|| "PENDING".to_owned());
    let node = Node {
        step: text(&t["display_name"]).unwrap_or_else(|| id.clone()),
        failed: phase == "FAILED",
        phase,
        started: text(&t["start_time"]),
        finished: text(&t["end_time"]),
        message: text(&t["error"]["message"]).unwrap_or_default(),
    };
    (id, node)
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;
    use crate::submit::kfp::client::{ApiError, with_hint};

    #[test]
    fn runs_carry_typed_parameters_under_runtime_config() {
        let parameters = [
            ("pr".to_owned(), json!("42")),
            ("epochs".to_owned(), json!(7)),
            ("rate".to_owned(), json!(0.25)),
            ("dry-run".to_owned(), json!(true)),
        ];
        let run = NewRun::example(&parameters);
        assert_eq!(
            run_body(&run),
            json!({
                "display_name": "test-42-abc",
                "description": "submitted by kpipe",
                "experiment_id": "e-1",
                "pipeline_version_reference": {"pipeline_id": "p-1", "pipeline_version_id": "v-2"},
                "runtime_config": {"parameters": {"pr": "42", "epochs": 7, "rate": 0.25, "dry-run": true}},
                "service_account": "pipeline-runner",
            })
        );
        let run = NewRun {
            service_account: None,
            parameters: &[],
            ..run
        };
        let body = run_body(&run);
        assert_eq!(body["runtime_config"], json!({"parameters": {}}));
        assert!(body.get("service_account").is_none(), "{body}");
    }

    #[test]
    fn a_404_on_upload_points_to_the_v1_api() {
        let refusal = |status: StatusCode| {
            anyhow::Error::from(ApiError {
                what: "upload pipeline ci".into(),
                status,
                message: "Not Found".into(),
                hint: None,
            })
        };
        let e = with_hint(refusal(StatusCode::NOT_FOUND), 404, NO_V2);
        assert_eq!(
            e.to_string(),
            "Kubeflow Pipelines refused to upload pipeline ci (404 Not Found): Not Found; KFP 1.x serves only the v1beta1 API: submit the Argo Workflow with --kfp-api v1"
        );
        let e = with_hint(refusal(StatusCode::BAD_REQUEST), 404, NO_V2);
        assert!(!e.to_string().contains("--kfp-api"), "{e}");
    }

    #[test]
    fn states_and_task_details_drive_the_outcome() {
        for (state, outcome) in [
            ("PENDING", Outcome::Running),
            ("RUNNING", Outcome::Running),
            ("CANCELING", Outcome::Running),
            ("RUNTIME_STATE_UNSPECIFIED", Outcome::Running),
            ("SUCCEEDED", Outcome::Succeeded),
            ("SKIPPED", Outcome::Succeeded),
            ("FAILED", Outcome::Failed),
            ("CANCELED", Outcome::Failed),
        ] {
            assert_eq!(
                view(&json!({"state": state}), &BTreeSet::new()).outcome,
                outcome,
                "{state}"
            );
        }
        let run = view(
            &json!({
            "state": "FAILED",
            "error": {"code": 2, "message": "task train failed"},
            "run_details": {"task_details": [
                {"task_id": "t-1", "display_name": "train", "state": "FAILED",
                 "start_time": "2026-11-26T10:00:00Z", "end_time": "2026-11-26T10:00:09Z",
                 "error": {"message": "exit code 1"}},
                {"task_id": "t-2", "display_name": "checkout", "state": "RUNTIME_STATE_UNSPECIFIED"},
            ]},
            }),
            &BTreeSet::new(),
        );
        assert_eq!(run.message, "task train failed");
        let [(id, train), (_, checkout)] = &run.tasks[..] else {
            panic!("{:?}", run.tasks)
        };
        assert_eq!(id, "t-1");
        assert_eq!(
            (train.step.as_str(), train.phase.as_str(), train.failed),
            ("train", "FAILED", true)
        );
        assert_eq!(train.message, "exit code 1");
        assert_eq!(train.finished.as_deref(), Some("2026-11-26T10:00:09Z"));
        assert_eq!(
            (checkout.phase.as_str(), checkout.failed),
            ("PENDING", false)
        );
    }

    /// The nodes KFP 2.x lists for a run of `checkout -> train`: the
    /// workflow, the root DAG and its driver, and per task a driver, a DAG
    /// named after the task and an `executor` pod.
    #[test]
    fn only_the_pipelines_tasks_and_failed_drivers_are_followed() {
        let known: BTreeSet<String> = ["checkout", "train", "predict"].map(str::to_owned).into();
        let node = |id: &str, name: &str, state: &str| json!({"task_id": id, "display_name": name, "state": state});
        let run = json!({"state": "FAILED", "run_details": {"task_details": [
            node("1", "kubernetes-analysis-x7k2p", "FAILED"),
            node("2", "root-driver", "SUCCEEDED"),
            node("3", "root", "FAILED"),
            node("4", "checkout-driver", "SUCCEEDED"),
            node("5", "checkout", "SUCCEEDED"),
            node("6", "executor", "SUCCEEDED"),
            node("7", "train-driver", "SUCCEEDED"),
            node("8", "train", "FAILED"),
            node("9", "executor", "FAILED"),
            {"task_id": "10", "display_name": "predict-driver", "state": "FAILED",
             "error": {"message": "input model not found"}},
            node("11", "predict", "FAILED"),
            {"task_id": "12", "display_name": "other-driver", "state": "FAILED"},
        ]}});
        let shown: Vec<(String, String, String)> = view(&run, &known)
            .tasks
            .into_iter()
            .map(|(id, n)| (id, n.step, n.message))
            .collect();
        let row = |id: &str, step: &str, message: &str| {
            (id.to_owned(), step.to_owned(), message.to_owned())
        };
        assert_eq!(
            shown,
            [
                row("5", "checkout", ""),
                row("8", "train", ""),
                row("11", "predict", ""),
                row("12", "other", "its driver failed"),
            ]
        );
        // a driver that fails before its task has a state stands for it
        let run = json!({"state": "FAILED", "run_details": {"task_details": [
            {"task_id": "10", "display_name": "predict-driver", "state": "FAILED",
             "error": {"message": "input model not found"}},
        ]}});
        let shown = view(&run, &known).tasks;
        assert_eq!(shown.len(), 1);
        assert_eq!(
            (shown[0].1.step.as_str(), shown[0].1.message.as_str()),
            ("predict", "its driver failed: input model not found")
        );
    }

    #[test]
    fn task_names_come_from_every_dag_of_the_ir() {
        let yaml = "pipelineInfo: {name: p}\nroot:\n  dag:\n    tasks:\n      checkout: {}\n      for-loop-1: {}\ncomponents:\n  comp-for-loop-1:\n    dag:\n      tasks:\n        fetch: {}\n  comp-fetch:\n    executorLabel: exec-fetch\n";
        assert_eq!(
            task_names(yaml),
            ["checkout", "fetch", "for-loop-1"]
                .map(str::to_owned)
                .into()
        );
        assert!(task_names("not: [yaml").is_empty());
        // what KFP serves for a package with a platform spec
        let served = json!({"pipeline_spec": {"root": {"dag": {"tasks": {"train": {}}}}},
            "platform_spec": {"platforms": {}}});
        assert_eq!(spec_task_names(&served), ["train".to_owned()].into());
        assert!(spec_task_names(&Value::Null).is_empty());
    }
}
