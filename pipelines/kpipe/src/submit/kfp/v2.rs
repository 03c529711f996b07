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

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::client::{Client, Package, refused, string, with_hint};
use super::follow::{Outcome, RunView};
use super::{Api, NewRun};
use crate::submit::progress::Node;

const DESCRIPTION: &str = "uploaded by kpipe";

/// What a 404 from the upload endpoints most likely means.
const NO_V2: &str =
    "KFP 1.x serves only the v1beta1 API: submit the Argo Workflow with --kfp-api v1";

/// The v2beta1 API.
#[derive(Debug)]
pub(super) struct V2(pub(super) Client);

/// A `filter` query: `key` EQUALS `value` (v2beta1's `Filter`).
fn equals(key: &str, value: &str) -> String {
    json!({"predicates": [{"key": key, "operation": "EQUALS", "string_value": value}]}).to_string()
}

impl V2 {
    /// The first item of the list at `segments`' `field` whose `key` is
    /// `name`, filtered by the server on `filter_key`.
    async fn find(
        &self,
        segments: &[&str],
        (field, key, filter_key): (&str, &str, &str),
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Option<Value>> {
        let filter = equals(filter_key, name);
        let mut query: Vec<(&str, &str)> = vec![("filter", &filter), ("page_size", "10")];
        query.extend_from_slice(extra);
        let request = self.0.request(Method::GET, segments).query(&query);
        let what = format!("look up {field} named {name}");
        let list = self.0.send(&what, request).await?;
        Ok(list[field]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o[key].as_str() == Some(name))
            .cloned())
    }
}

fn namespace(ns: Option<&str>) -> Vec<(&str, &str)> {
    ns.map(|n| ("namespace", n)).into_iter().collect()
}

impl Api for V2 {
    fn client(&self) -> &Client {
        &self.0
    }

    async fn find_pipeline(&self, name: &str, ns: Option<&str>) -> anyhow::Result<Option<String>> {
        let request = (self.0)
            .request(Method::GET, &["pipelines", "names", name])
            .query(&namespace(ns));
        match self
            .0
            .send(&format!("look up pipelines named {name}"), request)
            .await
        {
            Ok(p) => string(&p["pipeline_id"], "pipeline_id").map(Some),
            Err(e) if refused(&e) == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn upload_pipeline(
        &self,
        name: &str,
        ns: Option<&str>,
        package: Package<'_>,
    ) -> anyhow::Result<(String, String)> {
        let mut query = vec![("name", name), ("description", DESCRIPTION)];
        query.extend(namespace(ns));
        let what = format!("upload pipeline {name}");
        let created = (self.0)
            .upload(&["pipelines", "upload"], &query, package, &what)
            .await
            .map_err(|e| with_hint(e, 404, NO_V2))?;
        let id = string(&created["pipeline_id"], "pipeline_id")?;
        // KFP names the pipeline's first version after the pipeline.
        let version = self.find_version(&id, name).await?.ok_or_else(|| {
            anyhow::anyhow!(
                "Kubeflow Pipelines created pipeline {name} ({id}) but lists no version named {name}"
            )
        })?;
        Ok((id, version))
    }

    async fn find_version(&self, pipeline: &str, name: &str) -> anyhow::Result<Option<String>> {
        let list = ("pipeline_versions", "name", "name");
        let found = (self.find(&["pipelines", pipeline, "versions"], list, name, &[])).await?;
        found
            .map(|v| string(&v["pipeline_version_id"], "pipeline_version_id"))
            .transpose()
    }

    async fn upload_version(
        &self,
        pipeline: &str,
        name: &str,
        _: Option<&str>,
        package: Package<'_>,
    ) -> anyhow::Result<String> {
        // A version belongs to its pipeline's namespace.
        let query = [
            ("name", name),
            ("pipelineid", pipeline),
            ("description", DESCRIPTION),
        ];
        let what = format!("upload version {name} of pipeline {}", package.pipeline);
        let created = (self.0)
            .upload(&["pipelines", "upload_version"], &query, package, &what)
            .await
            .map_err(|e| with_hint(e, 404, NO_V2))?;
        string(&created["pipeline_version_id"], "pipeline_version_id")
    }

    async fn find_experiment(
        &self,
        name: &str,
        ns: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let list = ("experiments", "display_name", "display_name");
        let found = self
            .find(&["experiments"], list, name, &namespace(ns))
            .await?;
        found
            .map(|e| string(&e["experiment_id"], "experiment_id"))
            .transpose()
    }

    async fn create_experiment(&self, name: &str, ns: Option<&str>) -> anyhow::Result<String> {
        let mut body = json!({"display_name": name, "description": "created by kpipe submit"});
        if let Some(n) = ns {
            body["namespace"] = Value::String(n.to_owned());
        }
        let request = self.0.request(Method::POST, &["experiments"]).json(&body);
        let created = (self.0)
            .send(&format!("create experiment {name}"), request)
            .await?;
        string(&created["experiment_id"], "experiment_id")
    }

    async fn create_run(&self, run: &NewRun<'_>) -> anyhow::Result<String> {
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
        let request = self.0.request(Method::POST, &["runs"]).json(&body);
        let created = (self.0)
            .send(&format!("create run {}", run.name), request)
            .await?;
        string(&created["run_id"], "run_id")
    }

    async fn run(&self, id: &str) -> anyhow::Result<Option<RunView>> {
        let request = self.0.request(Method::GET, &["runs", id]);
        let run = match self.0.send(&format!("read run {id}"), request).await {
            Ok(run) => run,
            Err(e) if refused(&e) == Some(StatusCode::NOT_FOUND) => return Ok(None),
            Err(e) => return Err(e),
        };
        let state = run["state"].as_str().unwrap_or("").to_owned();
        let outcome = match state.as_str() {
            "SUCCEEDED" | "SKIPPED" => Outcome::Succeeded,
            "FAILED" | "CANCELED" => Outcome::Failed,
            _ => Outcome::Running,
        };
        let tasks = (run["run_details"]["task_details"].as_array())
            .into_iter()
            .flatten()
            .map(task)
            .collect();
        Ok(Some(RunView {
            outcome,
            message: run["error"]["message"].as_str().unwrap_or("").to_owned(),
            state,
            tasks,
        }))
    }

    async fn terminate(&self, id: &str) -> anyhow::Result<()> {
        let action = format!("{id}:terminate");
        let request = self.0.request(Method::POST, &["runs", &action]);
        let what = format!("terminate run {id}");
        self.0.send(&what, request).await.map(|_| ())
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
