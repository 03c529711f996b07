//! `kpipe submit --kfp URL`: Kubeflow Pipelines' REST API (v1beta1, the API
//! that runs Argo Workflow YAML; v2beta1 takes only the v2 IR, see
//! DESIGN.md).
//!
//! Upload the pipeline once by name, then each distinct Workflow as a
//! version named by its content hash (idempotent: resubmitting the same YAML
//! reuses the version), find or create the experiment, create the run with
//! the parameters, and with `--wait` poll it to the end.

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{End, Prepared, signal};

/// Where and how to submit.
#[derive(Clone, Debug)]
pub struct KfpOptions {
    /// Base URL of the KFP API server (`http://ml-pipeline.kubeflow:8888`,
    /// or the UI's `…/pipeline` prefix behind Kubeflow's gateway).
    pub url: String,
    /// Bearer token.
    pub token: Option<String>,
    /// Experiment of the run.
    pub experiment: String,
    /// Kubeflow profile namespace (multi-user installs).
    pub namespace: Option<String>,
    /// Follow the run until it ends.
    pub wait: bool,
    /// Stop waiting (and terminate the run) after this long.
    pub timeout: Option<Duration>,
    /// Kubernetes service account of the run.
    pub service_account: Option<String>,
}

/// An error answer of the KFP API.
#[derive(Debug)]
pub struct ApiError {
    /// What kpipe tried.
    pub what: String,
    /// HTTP status.
    pub status: StatusCode,
    /// The server's message (`googleRpcStatus.error`/`message`, or the body).
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Kubeflow Pipelines refused to {} ({}): {}",
            self.what, self.status, self.message
        )?;
        match self.status.as_u16() {
            401 => {
                f.write_str("; pass a valid bearer token with KPIPE_KFP_TOKEN or --kfp-token-file")
            }
            403 => f.write_str("; the token's identity may not use this namespace or experiment"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

/// A KFP v1beta1 client.
#[derive(Debug)]
pub struct Kfp {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Kfp {
    /// A client for the API at `url`.
    pub fn new(url: &str, token: Option<String>) -> anyhow::Result<Self> {
        super::install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("kpipe/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(120))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
        })
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method, format!("{}/apis/v1beta1/{path}", self.base))
            .header(ACCEPT, "application/json");
        if let Some(t) = &self.token {
            r = r.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        r
    }

    async fn send(&self, what: &str, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.send().await.with_context(|| {
            format!("cannot reach Kubeflow Pipelines at {} to {what}", self.base)
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to `{what}` from {}", self.base))?;
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v["error"]
                        .as_str()
                        .or_else(|| v["message"].as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| text.trim().chars().take(500).collect());
            return Err(ApiError {
                what: what.to_owned(),
                status,
                message,
            }
            .into());
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| {
            format!(
                "Kubeflow Pipelines at {} answered `{what}` with something other than JSON",
                self.base
            )
        })
    }

    /// The id of the first object named `name` in a list endpoint.
    async fn find(
        &self,
        path: &str,
        field: &str,
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Option<Value>> {
        let filter = json!({"predicates": [{"key": "name", "op": "EQUALS", "string_value": name}]})
            .to_string();
        let mut query: Vec<(&str, &str)> = vec![("filter", &filter), ("page_size", "10")];
        query.extend_from_slice(extra);
        let list = self
            .send(
                &format!("look up {path} named {name}"),
                self.request(Method::GET, path).query(&query),
            )
            .await?;
        Ok(list[field]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["name"].as_str() == Some(name))
            .cloned())
    }

    async fn upload(
        &self,
        path: &str,
        query: &[(&str, &str)],
        file_name: &str,
        yaml: &str,
        what: &str,
    ) -> anyhow::Result<Value> {
        let part = reqwest::multipart::Part::text(yaml.to_owned())
            .file_name(file_name.to_owned())
            .mime_str("application/x-yaml")
            .context("multipart body")?;
        let form = reqwest::multipart::Form::new().part("uploadfile", part);
        self.send(
            what,
            self.request(Method::POST, path)
                .query(query)
                .multipart(form),
        )
        .await
    }

    /// Finds the pipeline by name or uploads it; then the version for this
    /// Workflow. Returns (pipeline id, version id).
    pub async fn pipeline_version(
        &self,
        prepared: &Prepared,
        namespace: Option<&str>,
    ) -> anyhow::Result<(String, String)> {
        let name = &prepared.pipeline;
        let hash = hex12(&Sha256::digest(prepared.yaml.as_bytes()));
        let version = format!("{name}-{hash}");
        let file_name = format!("{name}.yaml");
        let ns_query: Vec<(&str, &str)> = namespace.map(|n| ("namespace", n)).into_iter().collect();
        let existing = self.find("pipelines", "pipelines", name, &[]).await?;
        let pipeline = match existing {
            Some(p) => p,
            None => {
                let mut query = vec![
                    ("name", name.as_str()),
                    ("description", "uploaded by kpipe"),
                ];
                query.extend_from_slice(&ns_query);
                let uploaded = self
                    .upload(
                        "pipelines/upload",
                        &query,
                        &file_name,
                        &prepared.yaml,
                        &format!("upload pipeline {name}"),
                    )
                    .await;
                match uploaded {
                    Ok(created) => {
                        let id = string(&created["id"], "pipeline id")?;
                        let version_id = created["default_version"]["id"]
                            .as_str()
                            .map_or_else(|| id.clone(), str::to_owned);
                        eprintln!("Uploaded pipeline {name} ({id})");
                        return Ok((id, version_id));
                    }
                    // Another job uploaded it in the meantime: use theirs.
                    Err(e) if conflict(&e) => self
                        .find("pipelines", "pipelines", name, &[])
                        .await?
                        .ok_or(e)?,
                    Err(e) => return Err(e),
                }
            }
        };
        let pipeline_id = string(&pipeline["id"], "pipeline id")?;
        let version_key = [
            ("resource_key.type", "PIPELINE"),
            ("resource_key.id", pipeline_id.as_str()),
        ];
        if let Some(v) = self
            .find("pipeline_versions", "versions", &version, &version_key)
            .await?
        {
            let id = string(&v["id"], "pipeline version id")?;
            eprintln!("Pipeline {name} already has version {version} ({id})");
            return Ok((pipeline_id, id));
        }
        let mut query = vec![
            ("name", version.as_str()),
            ("pipelineid", pipeline_id.as_str()),
            ("description", "uploaded by kpipe"),
        ];
        query.extend_from_slice(&ns_query);
        let uploaded = self
            .upload(
                "pipelines/upload_version",
                &query,
                &file_name,
                &prepared.yaml,
                &format!("upload version {version} of pipeline {name}"),
            )
            .await;
        let created = match uploaded {
            Ok(created) => created,
            // Another job uploaded the same version in the meantime.
            Err(e) if conflict(&e) => self
                .find("pipeline_versions", "versions", &version, &version_key)
                .await?
                .ok_or(e)?,
            Err(e) => return Err(e),
        };
        let id = string(&created["id"], "pipeline version id")?;
        eprintln!("Uploaded version {version} of pipeline {name} ({id})");
        Ok((pipeline_id, id))
    }

    /// Finds the experiment by name (in the namespace) or creates it.
    pub async fn experiment(&self, name: &str, namespace: Option<&str>) -> anyhow::Result<String> {
        let ns_key: Vec<(&str, &str)> = namespace
            .map(|n| {
                vec![
                    ("resource_reference_key.type", "NAMESPACE"),
                    ("resource_reference_key.id", n),
                ]
            })
            .unwrap_or_default();
        if let Some(e) = self
            .find("experiments", "experiments", name, &ns_key)
            .await?
        {
            return string(&e["id"], "experiment id");
        }
        let mut body = json!({"name": name, "description": "created by kpipe submit"});
        if let Some(n) = namespace {
            body["resource_references"] = json!([
                {"key": {"type": "NAMESPACE", "id": n}, "relationship": "OWNER"}
            ]);
        }
        let created = self
            .send(
                &format!("create experiment {name}"),
                self.request(Method::POST, "experiments").json(&body),
            )
            .await?;
        let id = string(&created["id"], "experiment id")?;
        eprintln!("Created experiment {name} ({id})");
        Ok(id)
    }

    /// Creates the run; returns its id.
    pub async fn create_run(
        &self,
        name: &str,
        experiment: &str,
        version: &str,
        params: &[(String, String)],
        service_account: Option<&str>,
    ) -> anyhow::Result<String> {
        let parameters: Vec<Value> = params
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        let mut body = json!({
            "name": name,
            "pipeline_spec": {"parameters": parameters},
            "resource_references": [
                {"key": {"type": "EXPERIMENT", "id": experiment}, "relationship": "OWNER"},
                {"key": {"type": "PIPELINE_VERSION", "id": version}, "relationship": "CREATOR"},
            ],
        });
        if let Some(sa) = service_account {
            body["service_account"] = Value::String(sa.to_owned());
        }
        let created = self
            .send(
                &format!("create run {name}"),
                self.request(Method::POST, "runs").json(&body),
            )
            .await?;
        string(&created["run"]["id"], "run id")
    }

    /// The run (`apiRunDetail`), or None once it is gone.
    pub async fn run(&self, id: &str) -> anyhow::Result<Option<Value>> {
        match self
            .send(
                &format!("read run {id}"),
                self.request(Method::GET, &format!("runs/{id}")),
            )
            .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e)
                if e.downcast_ref::<ApiError>()
                    .is_some_and(|a| a.status == 404) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Asks KFP to terminate the run.
    pub async fn terminate(&self, id: &str) -> anyhow::Result<()> {
        self.send(
            &format!("terminate run {id}"),
            self.request(Method::POST, &format!("runs/{id}/terminate")),
        )
        .await
        .map(|_| ())
    }
}

/// KFP's answer to an upload whose name is taken (409 AlreadyExists).
fn conflict(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ApiError>()
        .is_some_and(|a| a.status == StatusCode::CONFLICT)
}

fn string(v: &Value, what: &str) -> anyhow::Result<String> {
    v.as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .with_context(|| format!("Kubeflow Pipelines' answer has no {what}"))
}

fn hex12(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The run name: `test-<pr>-<commit>`, else `<pipeline> <unix seconds>`.
fn run_name(prepared: &Prepared) -> String {
    prepared.run_name.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("{}-{secs}", prepared.pipeline)
    })
}

/// Uploads, creates the run and, with `wait`, follows it.
pub async fn submit(prepared: &Prepared, opts: &KfpOptions) -> anyhow::Result<End> {
    let kfp = Kfp::new(&opts.url, opts.token.clone())?;
    let ns = opts.namespace.as_deref();
    let (_, version) = kfp.pipeline_version(prepared, ns).await?;
    let experiment = kfp.experiment(&opts.experiment, ns).await?;
    let name = run_name(prepared);
    let run = kfp
        .create_run(
            &name,
            &experiment,
            &version,
            &prepared.params,
            opts.service_account.as_deref(),
        )
        .await?;
    eprintln!(
        "Created run {name} ({run}) in experiment {}: {}/#/runs/details/{run}",
        opts.experiment, kfp.base
    );
    if !opts.wait {
        println!("{run}");
        return Ok(End::Submitted);
    }
    let timeout = async {
        match opts.timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        end = follow(&kfp, &run) => end,
        sig = signal::interrupted() => {
            stop(&kfp, &run, &format!("{sig}")).await;
            Ok(End::Interrupted(sig))
        }
        () = timeout => {
            let secs = opts.timeout.map_or(0, |t| t.as_secs());
            stop(&kfp, &run, &format!("--timeout {secs}s")).await;
            Ok(End::Lost(format!("--timeout {secs}s expired before run {run} finished; it was terminated")))
        }
    }
}

async fn stop(kfp: &Kfp, run: &str, why: &str) {
    match kfp.terminate(run).await {
        Ok(()) => eprintln!("{why}: terminated run {run}"),
        Err(e) => eprintln!("{why}: could not terminate run {run}: {e:#}"),
    }
}

/// Polls the run until its status is final, printing step phases from the
/// workflow manifest KFP keeps as they change.
async fn follow(kfp: &Kfp, id: &str) -> anyhow::Result<End> {
    let poll = super::poll_interval(Duration::from_secs(5));
    let mut phases: std::collections::BTreeMap<String, String> = Default::default();
    let mut failures = 0u32;
    let mut last_status = String::new();
    loop {
        let detail = match kfp.run(id).await {
            Ok(Some(d)) => d,
            Ok(None) => {
                return Ok(End::Lost(format!(
                    "run {id} was deleted while kpipe was waiting for it"
                )));
            }
            Err(e) if e.downcast_ref::<ApiError>().is_none() && failures < 5 => {
                failures += 1;
                eprintln!("warning: reading run {id} failed ({e:#}); retrying");
                tokio::time::sleep(poll).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        failures = 0;
        if let Some(manifest) = detail["pipeline_runtime"]["workflow_manifest"].as_str()
            && let Ok(wf) = serde_json::from_str::<Value>(manifest)
        {
            let wf_name = wf["metadata"]["name"].as_str().unwrap_or("");
            for (node_id, n) in wf["status"]["nodes"].as_object().into_iter().flatten() {
                if n["type"].as_str() != Some("Pod") {
                    continue;
                }
                let phase = n["phase"].as_str().unwrap_or("Pending").to_owned();
                if phases.get(node_id) != Some(&phase) {
                    let node = n["name"].as_str().unwrap_or(node_id);
                    let step = node
                        .strip_prefix(wf_name)
                        .and_then(|r| r.strip_prefix('.'))
                        .unwrap_or(node);
                    eprintln!("step {step}: {phase}");
                    phases.insert(node_id.clone(), phase);
                }
            }
        }
        let run = &detail["run"];
        let status = run["status"].as_str().unwrap_or("").to_owned();
        if status != last_status && !status.is_empty() {
            eprintln!("run {id}: {status}");
            last_status.clone_from(&status);
        }
        let message = run["error"].as_str().unwrap_or("").to_owned();
        match status.as_str() {
            "Succeeded" | "Completed" => return Ok(End::Succeeded),
            "Failed" | "Terminated" | "Canceled" => {
                return Ok(End::Failed(if message.is_empty() {
                    format!("run {id} {}", status.to_lowercase())
                } else {
                    message
                }));
            }
            "Error" => {
                return Ok(End::Error(if message.is_empty() {
                    format!("run {id} ended in Error")
                } else {
                    message
                }));
            }
            _ => {}
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do() {
        let e = ApiError {
            what: "create run x".into(),
            status: StatusCode::UNAUTHORIZED,
            message: "Unauthorized access".into(),
        };
        let text = e.to_string();
        assert!(text.contains("create run x"), "{text}");
        assert!(text.contains("401"), "{text}");
        assert!(text.contains("KPIPE_KFP_TOKEN"), "{text}");
    }
}
