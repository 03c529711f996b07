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

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::client::{Client, Package, namespace, refused, string};
use super::follow::{Outcome, RunView};
use super::{Api, NewRun};
use crate::submit::progress::argo_nodes;

const DESCRIPTION: &str = "uploaded by kpipe";

/// The v1beta1 API.
#[derive(Debug)]
pub(super) struct V1(pub(super) Client);

impl V1 {
    /// The first object named `name` in the list at `segment`'s `field`.
    async fn find(
        &self,
        segment: &str,
        field: &str,
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Option<Value>> {
        let filter = json!({"predicates": [{"key": "name", "op": "EQUALS", "string_value": name}]})
            .to_string();
        let mut query: Vec<(&str, &str)> = vec![("filter", &filter), ("page_size", "10")];
        query.extend_from_slice(extra);
        let request = self.0.request(Method::GET, &[segment]).query(&query);
        let list = (self.0)
            .send(&format!("look up {segment} named {name}"), request)
            .await?;
        Ok(list[field]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["name"].as_str() == Some(name))
            .cloned())
    }
}

impl Api for V1 {
    fn client(&self) -> &Client {
        &self.0
    }

    async fn find_pipeline(&self, name: &str, _: Option<&str>) -> anyhow::Result<Option<String>> {
        let found = self.find("pipelines", "pipelines", name, &[]).await?;
        found.map(|p| string(&p["id"], "pipeline id")).transpose()
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
            .await?;
        let id = string(&created["id"], "pipeline id")?;
        let version = created["default_version"]["id"]
            .as_str()
            .map_or_else(|| id.clone(), str::to_owned);
        Ok((id, version))
    }

    async fn find_version(&self, pipeline: &str, name: &str) -> anyhow::Result<Option<String>> {
        let key = [
            ("resource_key.type", "PIPELINE"),
            ("resource_key.id", pipeline),
        ];
        let found = self
            .find("pipeline_versions", "versions", name, &key)
            .await?;
        found
            .map(|v| string(&v["id"], "pipeline version id"))
            .transpose()
    }

    async fn upload_version(
        &self,
        pipeline: &str,
        name: &str,
        ns: Option<&str>,
        package: Package<'_>,
    ) -> anyhow::Result<String> {
        let mut query = vec![
            ("name", name),
            ("pipelineid", pipeline),
            ("description", DESCRIPTION),
        ];
        query.extend(namespace(ns));
        let what = format!("upload version {name} of pipeline {}", package.pipeline);
        let created = (self.0)
            .upload(&["pipelines", "upload_version"], &query, package, &what)
            .await?;
        string(&created["id"], "pipeline version id")
    }

    async fn find_experiment(
        &self,
        name: &str,
        ns: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let key: Vec<(&str, &str)> = ns
            .map(|n| {
                vec![
                    ("resource_reference_key.type", "NAMESPACE"),
                    ("resource_reference_key.id", n),
                ]
            })
            .unwrap_or_default();
        let found = self.find("experiments", "experiments", name, &key).await?;
        found.map(|e| string(&e["id"], "experiment id")).transpose()
    }

    async fn create_experiment(&self, name: &str, ns: Option<&str>) -> anyhow::Result<String> {
        let mut body = json!({"name": name, "description": "created by kpipe submit"});
        if let Some(n) = ns {
            body["resource_references"] = json!([
                {"key": {"type": "NAMESPACE", "id": n}, "relationship": "OWNER"}
            ]);
        }
        let request = self.0.request(Method::POST, &["experiments"]).json(&body);
        let created = (self.0)
            .send(&format!("create experiment {name}"), request)
            .await?;
        string(&created["id"], "experiment id")
    }

    async fn create_run(&self, run: &NewRun<'_>) -> anyhow::Result<String> {
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
        let request = self.0.request(Method::POST, &["runs"]).json(&body);
        let created = (self.0)
            .send(&format!("create run {}", run.name), request)
            .await?;
        string(&created["run"]["id"], "run id")
    }

    async fn run(&self, id: &str) -> anyhow::Result<Option<RunView>> {
        let request = self.0.request(Method::GET, &["runs", id]);
        let detail = match self.0.send(&format!("read run {id}"), request).await {
            Ok(detail) => detail,
            Err(e) if refused(&e) == Some(StatusCode::NOT_FOUND) => return Ok(None),
            Err(e) => return Err(e),
        };
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
        Ok(Some(RunView {
            outcome,
            message: run["error"].as_str().unwrap_or("").to_owned(),
            state,
            tasks,
        }))
    }

    async fn terminate(&self, id: &str) -> anyhow::Result<()> {
        let request = self.0.request(Method::POST, &["runs", id, "terminate"]);
        let what = format!("terminate run {id}");
        self.0.send(&what, request).await.map(|_| ())
    }

    async fn retry(&self, id: &str) -> anyhow::Result<()> {
        let request = self.0.request(Method::POST, &["runs", id, "retry"]);
        let what = format!("retry run {id}");
        self.0.send(&what, request).await.map(|_| ())
    }
}
