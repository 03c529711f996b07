//! The calls `kpipe submit --kfp` and `kpipe retry --kfp` make, written
//! once for both REST APIs: where v1beta1 and v2beta1 ask or answer
//! differently, the [`Dialect`] says how.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};

use super::NewRun;
use super::client::{Client, Package, namespace, refused, string, with_hint};
use super::dialect::{Dialect, FirstVersion, PipelineLookup, VersionList};
use super::follow::RunView;

const DESCRIPTION: &str = "uploaded by kpipe";

/// One KFP API server, spoken to in one dialect.
#[derive(Debug)]
pub(crate) struct Kfp {
    client: Client,
    dialect: &'static Dialect,
    /// The names of the tasks in the IR the run runs (empty: every task
    /// KFP lists is followed).
    tasks: BTreeSet<String>,
}

impl Kfp {
    pub(crate) fn new(client: Client, dialect: &'static Dialect, tasks: BTreeSet<String>) -> Self {
        Self {
            client,
            dialect,
            tasks,
        }
    }

    /// The client (its base URL names the server in messages).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The first item of the list at `segments`' `field` whose `key` is
    /// `name`, filtered by the server on the same key.
    async fn find(
        &self,
        segments: &[&str],
        (field, key): (&str, &str),
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Option<Value>> {
        let filter = self.equals(key, name);
        let mut query: Vec<(&str, &str)> = vec![("filter", &filter), ("page_size", "10")];
        query.extend_from_slice(extra);
        let request = self.client.request(Method::GET, segments).query(&query);
        let what = format!("look up {} named {name}", field.replace('_', " "));
        let list = self.client.send(&what, request).await?;
        Ok(list[field]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o[key].as_str() == Some(name))
            .cloned())
    }

    /// A `filter` query: `key` EQUALS `value`.
    fn equals(&self, key: &str, value: &str) -> String {
        let mut predicate = Map::new();
        predicate.insert("key".into(), key.into());
        predicate.insert(self.dialect.filter_op.into(), "EQUALS".into());
        predicate.insert("string_value".into(), value.into());
        serde_json::json!({"predicates": [predicate]}).to_string()
    }

    /// The upload of `package` to `endpoint` with `query`, with what a 404
    /// means in this dialect.
    async fn upload(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        package: Package<'_>,
        what: &str,
    ) -> anyhow::Result<Value> {
        let uploaded = (self.client)
            .upload(&["pipelines", endpoint], query, package, what)
            .await;
        match self.dialect.upload_not_found {
            Some(hint) => uploaded.map_err(|e| with_hint(e, 404, hint)),
            None => uploaded,
        }
    }

    /// A `GET` of `segments`, `None` on a 404.
    async fn get(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        what: &str,
    ) -> anyhow::Result<Option<Value>> {
        let request = self.client.request(Method::GET, segments).query(query);
        match self.client.send(what, request).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if refused(&e) == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A `POST` of `body` to `segments`: the answer.
    async fn post(
        &self,
        segments: &[&str],
        body: Option<&Value>,
        what: &str,
    ) -> anyhow::Result<Value> {
        let request = self.client.request(Method::POST, segments);
        let request = match body {
            Some(body) => request.json(body),
            None => request,
        };
        self.client.send(what, request).await
    }

    /// The id of the pipeline named `name`.
    pub(crate) async fn find_pipeline(
        &self,
        name: &str,
        ns: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let found = match self.dialect.find_pipeline {
            PipelineLookup::Filtered => {
                self.find(&["pipelines"], ("pipelines", "name"), name, &[])
                    .await?
            }
            PipelineLookup::ByName => {
                let what = format!("look up pipelines named {name}");
                (self.get(&["pipelines", "names", name], &namespace(ns), &what)).await?
            }
        };
        found
            .map(|p| id(&p, self.dialect.ids.pipeline, "pipeline id"))
            .transpose()
    }

    /// Uploads a new pipeline: its id and its first version's.
    pub(crate) async fn upload_pipeline(
        &self,
        name: &str,
        ns: Option<&str>,
        package: Package<'_>,
    ) -> anyhow::Result<(String, String)> {
        let mut query = vec![("name", name), ("description", DESCRIPTION)];
        query.extend(namespace(ns));
        let what = format!("upload pipeline {name}");
        let created = self.upload("upload", &query, package, &what).await?;
        let pipeline = id(&created, self.dialect.ids.pipeline, "pipeline id")?;
        let version = match self.dialect.first_version {
            FirstVersion::InAnswer => created["default_version"]["id"]
                .as_str()
                .map_or_else(|| pipeline.clone(), str::to_owned),
            FirstVersion::NamedAfterPipeline => self.find_version(&pipeline, name).await?.ok_or_else(|| {
                anyhow::anyhow!(
                    "Kubeflow Pipelines created pipeline {name} ({pipeline}) but lists no version named {name}"
                )
            })?,
        };
        Ok((pipeline, version))
    }

    /// The id of `pipeline`'s version named `name`.
    pub(crate) async fn find_version(
        &self,
        pipeline: &str,
        name: &str,
    ) -> anyhow::Result<Option<String>> {
        let found = match self.dialect.versions {
            VersionList::ByResourceKey => {
                let key = [
                    ("resource_key.type", "PIPELINE"),
                    ("resource_key.id", pipeline),
                ];
                (self.find(&["pipeline_versions"], ("versions", "name"), name, &key)).await?
            }
            VersionList::UnderPipeline => {
                let list = ["pipelines", pipeline, "versions"];
                (self.find(&list, ("pipeline_versions", "name"), name, &[])).await?
            }
        };
        found
            .map(|v| id(&v, self.dialect.ids.version, "pipeline version id"))
            .transpose()
    }

    /// Uploads a version of `pipeline`: its id.
    pub(crate) async fn upload_version(
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
        if self.dialect.version_namespace {
            query.extend(namespace(ns));
        }
        let what = format!("upload version {name} of pipeline {}", package.pipeline);
        let created = self
            .upload("upload_version", &query, package, &what)
            .await?;
        id(&created, self.dialect.ids.version, "pipeline version id")
    }

    /// The id of the experiment named `name` (in `ns`).
    pub(crate) async fn find_experiment(
        &self,
        name: &str,
        ns: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        let list = ("experiments", self.dialect.experiment_name);
        let owner = self.dialect.owner.query(ns);
        let found = self.find(&["experiments"], list, name, &owner).await?;
        found
            .map(|e| id(&e, self.dialect.ids.experiment, "experiment id"))
            .transpose()
    }

    /// Creates the experiment: its id.
    pub(crate) async fn create_experiment(
        &self,
        name: &str,
        ns: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut body = Value::Object(Map::new());
        body[self.dialect.experiment_name] = name.into();
        body["description"] = "created by kpipe submit".into();
        self.dialect.owner.set(&mut body, ns);
        let what = format!("create experiment {name}");
        let created = self.post(&["experiments"], Some(&body), &what).await?;
        id(&created, self.dialect.ids.experiment, "experiment id")
    }

    /// Creates the run: its id.
    pub(crate) async fn create_run(&self, run: &NewRun<'_>) -> anyhow::Result<String> {
        let body = (self.dialect.run_body)(run);
        let what = format!("create run {}", run.name);
        let created = self.post(&["runs"], Some(&body), &what).await?;
        id(&created, self.dialect.ids.run, "run id")
    }

    /// The run as kpipe follows it, or `None` once it is gone.
    pub(crate) async fn run(&self, id: &str) -> anyhow::Result<Option<RunView>> {
        let read = self
            .get(&["runs", id], &[], &format!("read run {id}"))
            .await?;
        Ok(read.map(|run| (self.dialect.view)(&run, &self.tasks)))
    }

    /// Asks KFP to terminate the run.
    pub(crate) async fn terminate(&self, id: &str) -> anyhow::Result<()> {
        self.act(id, "terminate").await
    }

    /// Asks KFP to run the run's failed steps again.
    pub(crate) async fn retry(&self, id: &str) -> anyhow::Result<()> {
        self.act(id, "retry").await
    }

    async fn act(&self, id: &str, action: &str) -> anyhow::Result<()> {
        let segments = self.dialect.run_action.segments(id, action);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let what = format!("{action} run {id}");
        self.post(&segments, None, &what).await.map(|_| ())
    }
}

/// The non-empty id at `pointer` in `answer`, or an error naming `what`.
fn id(answer: &Value, pointer: &str, what: &str) -> anyhow::Result<String> {
    let at = answer.pointer(pointer).unwrap_or(&Value::Null);
    string(at, &format!("{what} (`{pointer}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::submit::kfp::{v1, v2};

    #[test]
    fn filters_are_each_api_s_predicates() {
        let filter = |dialect: &'static Dialect| {
            let client = Client::new("http://kfp", None, dialect.version)
                .unwrap_or_else(|e| panic!("{e:#}"));
            let kfp = Kfp::new(client, dialect, BTreeSet::new());
            serde_json::from_str::<Value>(&kfp.equals("display_name", "a \"b\""))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            filter(&v2::V2BETA1),
            serde_json::json!({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": "a \"b\""}]})
        );
        assert_eq!(
            filter(&v1::V1BETA1),
            serde_json::json!({"predicates": [{"key": "display_name", "op": "EQUALS", "string_value": "a \"b\""}]})
        );
    }

    #[test]
    fn ids_are_read_where_each_answer_has_them() {
        let answer = serde_json::json!({"run": {"id": "r-1"}, "run_id": ""});
        assert_eq!(
            id(&answer, "/run/id", "run id").ok().as_deref(),
            Some("r-1")
        );
        let missing = id(&answer, "/run_id", "run id")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            missing.as_deref(),
            Some("Kubeflow Pipelines' answer has no run id (`/run_id`)")
        );
    }
}
