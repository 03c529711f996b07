//! `kpipe submit --argo`: create the Workflow through the Kubernetes API
//! (kubeconfig or in-cluster service account), watch it to the end, stream
//! its pods' logs, stop it on SIGINT/SIGTERM.
//!
//! What the original's Prow script did with `kfp run submit -w`, `sed`,
//! `argo logs -f`, `grep "Status: Failed"` and a SIGTERM trap, as one
//! process whose exit code is the workflow's phase.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ApiResource, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{End, Prepared, signal};

/// Label Argo puts on every pod of a workflow.
pub const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
/// Annotation with the pod's node name (`<workflow>.<task>`).
pub const NODE_NAME_ANNOTATION: &str = "workflows.argoproj.io/node-name";
/// The container that runs the step (Argo's emissary executor).
pub const MAIN_CONTAINER: &str = "main";

/// Where and how to submit.
#[derive(Clone, Debug)]
pub struct ArgoOptions {
    /// Namespace of the Workflow.
    pub namespace: String,
    /// Follow the workflow until it ends.
    pub wait: bool,
    /// Stream every step's log while waiting.
    pub logs: bool,
    /// Argo Server URL for a server-side lint before creating.
    pub server: Option<String>,
    /// Bearer token for the Argo Server (`ARGO_TOKEN`).
    pub server_token: Option<String>,
    /// Stop waiting (and stop the workflow) after this long.
    pub timeout: Option<Duration>,
}

/// The Workflow custom resource.
pub fn workflow_resource() -> ApiResource {
    ApiResource {
        group: "argoproj.io".into(),
        version: "v1alpha1".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Workflow".into(),
        plural: "workflows".into(),
    }
}

/// The body sent to the API server: the prepared Workflow in `namespace`,
/// named `test-<pr>-<commit>-<random>` when the run has such a name.
pub fn body(prepared: &Prepared, namespace: &str) -> Value {
    let mut wf = prepared.workflow.clone();
    if let Some(meta) = wf.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".into(), Value::String(namespace.to_owned()));
        if let Some(run) = &prepared.run_name {
            meta.remove("name");
            meta.insert("generateName".into(), Value::String(format!("{run}-")));
        }
    }
    wf
}

/// Submits and, with `wait`, follows the workflow.
pub async fn submit(prepared: &Prepared, opts: &ArgoOptions) -> anyhow::Result<End> {
    super::install_crypto_provider();
    let body = body(prepared, &opts.namespace);
    if let Some(server) = &opts.server {
        server_lint(server, opts.server_token.as_deref(), &opts.namespace, &body).await?;
    }
    let config = kube::Config::infer().await.context(
        "no Kubernetes configuration: not in a cluster and no usable kubeconfig (set KUBECONFIG or use --kfp)",
    )?;
    let cluster = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .with_context(|| format!("cannot set up a client for {cluster}"))?;
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &opts.namespace, &workflow_resource());
    let obj: DynamicObject =
        serde_json::from_value(body).context("the Workflow is not a Kubernetes object")?;
    let what = format!("create a Workflow in namespace {}", opts.namespace);
    let created = api
        .create(&PostParams::default(), &obj)
        .await
        .map_err(|e| kube_error(e, &cluster, &what))?;
    let name = created.name_any();
    eprintln!(
        "Submitted workflow {}/{name} ({})",
        opts.namespace, prepared.pipeline
    );
    if !opts.wait {
        println!("{name}");
        return Ok(End::Submitted);
    }

    let (stop_logs, stopped) = watch::channel(false);
    let logs = opts.logs.then(|| {
        tokio::spawn(stream_logs(
            client.clone(),
            opts.namespace.clone(),
            name.clone(),
            stopped,
        ))
    });
    let mut progress = Progress::new(&name);
    let timeout = async {
        match opts.timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    let end = tokio::select! {
        end = follow(&api, &name, &cluster, &mut progress) => end,
        sig = signal::interrupted() => {
            shutdown(&api, &opts.namespace, &name, &format!("{sig}")).await;
            Ok(End::Interrupted(sig))
        }
        () = timeout => {
            let secs = opts.timeout.map_or(0, |t| t.as_secs());
            shutdown(&api, &opts.namespace, &name, &format!("--timeout {secs}s")).await;
            Ok(End::Lost(format!("--timeout {secs}s expired before the workflow finished; it was stopped")))
        }
    };
    let _ = stop_logs.send(true);
    if let Some(task) = logs {
        let _ = task.await;
    }
    progress.summary();
    end
}

/// Follows the workflow with watches (re-listing after expired watches and
/// dropped connections) until it reaches a final phase or disappears.
async fn follow(
    api: &Api<DynamicObject>,
    name: &str,
    cluster: &str,
    progress: &mut Progress,
) -> anyhow::Result<End> {
    let mut failures = 0u32;
    loop {
        let current = match api.get_opt(name).await {
            Ok(c) => c,
            Err(e) if failures < 5 && !matches!(e, kube::Error::Api(_)) => {
                failures += 1;
                eprintln!("warning: reading workflow {name} failed ({e}); retrying");
                tokio::time::sleep(Duration::from_secs(u64::from(failures))).await;
                continue;
            }
            Err(e) => return Err(kube_error(e, cluster, &format!("read workflow {name}"))),
        };
        let Some(current) = current else {
            return Ok(End::Lost(format!(
                "workflow {name} was deleted while kpipe was waiting for it"
            )));
        };
        if let Some(end) = progress.update(&current) {
            return Ok(end);
        }
        let version = current.resource_version().unwrap_or_default();
        let params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(290);
        let mut events = match api.watch(&params, &version).await {
            Ok(s) => s.boxed(),
            Err(e) if failures < 5 && !matches!(e, kube::Error::Api(_)) => {
                failures += 1;
                eprintln!("warning: watching workflow {name} failed ({e}); retrying");
                tokio::time::sleep(Duration::from_secs(u64::from(failures))).await;
                continue;
            }
            Err(e) => return Err(kube_error(e, cluster, &format!("watch workflow {name}"))),
        };
        loop {
            match events.try_next().await {
                Ok(Some(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    failures = 0;
                    if let Some(end) = progress.update(&o) {
                        return Ok(end);
                    }
                }
                Ok(Some(WatchEvent::Deleted(_))) => {
                    return Ok(End::Lost(format!(
                        "workflow {name} was deleted while kpipe was waiting for it"
                    )));
                }
                Ok(Some(WatchEvent::Bookmark(_))) => {}
                // 410 Gone: the resource version is too old; list again.
                Ok(Some(WatchEvent::Error(s))) if s.code == 410 => break,
                Ok(Some(WatchEvent::Error(s))) => {
                    bail!(
                        "watching workflow {name} failed: {} ({})",
                        s.message,
                        s.code
                    )
                }
                // The server closed the watch (its timeout): list again.
                Ok(None) => break,
                Err(e) => {
                    failures += 1;
                    if failures > 5 {
                        return Err(kube_error(e, cluster, &format!("watch workflow {name}")));
                    }
                    eprintln!("warning: the watch on workflow {name} broke ({e}); resuming");
                    break;
                }
            }
        }
    }
}

/// Asks Argo to stop the workflow (`spec.shutdown: Terminate`, what
/// `argo terminate` does: running pods are killed, exit handlers skipped).
async fn shutdown(api: &Api<DynamicObject>, namespace: &str, name: &str, why: &str) {
    let patch = json!({"spec": {"shutdown": "Terminate"}});
    match api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => eprintln!("{why}: stopped workflow {namespace}/{name} (spec.shutdown=Terminate)"),
        Err(e) => eprintln!(
            "{why}: could not stop workflow {namespace}/{name}: {e}; stop it with `kubectl patch workflow {name} -n {namespace} --type merge -p '{{\"spec\":{{\"shutdown\":\"Terminate\"}}}}'`"
        ),
    }
}

/// What kpipe has seen of a workflow: phases of its steps, printed as they
/// change, and the table printed at the end.
#[derive(Debug)]
struct Progress {
    workflow: String,
    nodes: BTreeMap<String, Node>,
    seen: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct Node {
    step: String,
    phase: String,
    started: Option<String>,
    finished: Option<String>,
    message: String,
}

impl Progress {
    fn new(workflow: &str) -> Self {
        Self {
            workflow: workflow.to_owned(),
            nodes: BTreeMap::new(),
            seen: false,
        }
    }

    /// Records the object; returns the end when its phase is final.
    fn update(&mut self, obj: &DynamicObject) -> Option<End> {
        self.seen = true;
        let status = &obj.data["status"];
        if let Some(nodes) = status["nodes"].as_object() {
            for (id, n) in nodes {
                if n["type"].as_str() != Some("Pod") {
                    continue;
                }
                let node = Node {
                    step: step_name(&self.workflow, n["name"].as_str().unwrap_or(id)),
                    phase: n["phase"].as_str().unwrap_or("Pending").to_owned(),
                    started: n["startedAt"].as_str().map(str::to_owned),
                    finished: n["finishedAt"].as_str().map(str::to_owned),
                    message: n["message"].as_str().unwrap_or("").to_owned(),
                };
                let changed = self.nodes.get(id).is_none_or(|old| old.phase != node.phase);
                if changed {
                    if node.message.is_empty() {
                        eprintln!("step {}: {}", node.step, node.phase);
                    } else {
                        eprintln!("step {}: {} ({})", node.step, node.phase, node.message);
                    }
                }
                self.nodes.insert(id.clone(), node);
            }
        }
        let message = status["message"].as_str().unwrap_or("").to_owned();
        match status["phase"].as_str()? {
            "Succeeded" => Some(End::Succeeded),
            "Failed" => Some(End::Failed(self.reason(message))),
            "Error" => Some(End::Error(self.reason(message))),
            _ => None,
        }
    }

    fn reason(&self, message: String) -> String {
        let failed: Vec<&str> = self
            .nodes
            .values()
            .filter(|n| matches!(n.phase.as_str(), "Failed" | "Error"))
            .map(|n| n.step.as_str())
            .collect();
        match (failed.is_empty(), message.is_empty()) {
            (true, true) => "no message".to_owned(),
            (true, false) => message,
            (false, true) => format!("step {} failed", failed.join(", ")),
            (false, false) => format!("step {} failed: {message}", failed.join(", ")),
        }
    }

    fn summary(&self) {
        if self.nodes.is_empty() {
            return;
        }
        let mut rows: Vec<&Node> = self.nodes.values().collect();
        rows.sort_by(|a, b| a.started.cmp(&b.started).then(a.step.cmp(&b.step)));
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "\n{:<24} {:<10} {:>8}  note", "step", "phase", "time");
        for n in rows {
            let time = match (
                n.started.as_deref().and_then(epoch_seconds),
                n.finished.as_deref().and_then(epoch_seconds),
            ) {
                (Some(s), Some(f)) if f >= s => format!("{}s", f - s),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                err,
                "{:<24} {:<10} {:>8}  {}",
                n.step, n.phase, time, n.message
            );
        }
    }
}

/// `kubernetes-analysis-x7k2p.train` → `train`.
fn step_name(workflow: &str, node_name: &str) -> String {
    node_name
        .strip_prefix(workflow)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(node_name)
        .to_owned()
}

/// Seconds since the epoch of an RFC 3339 time (`2024-05-01T10:00:00Z`).
fn epoch_seconds(t: &str) -> Option<i64> {
    t.parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|ts| ts.as_second())
}

/// Streams the `main` container log of every pod of the workflow, each line
/// prefixed by its step, until `stop` and the streams end.
async fn stream_logs(
    client: Client,
    namespace: String,
    workflow: String,
    mut stop: watch::Receiver<bool>,
) {
    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let selector = ListParams::default().labels(&format!("{WORKFLOW_LABEL}={workflow}"));
    let poll = super::poll_interval(Duration::from_secs(2));
    let mut started = HashSet::new();
    let mut streams = JoinSet::new();
    let mut warned = false;
    loop {
        let last = *stop.borrow();
        match pods.list(&selector).await {
            Ok(list) => {
                for pod in list {
                    let name = pod.name_any();
                    if main_started(&pod) && started.insert(name.clone()) {
                        let step = pod
                            .annotations()
                            .get(NODE_NAME_ANNOTATION)
                            .map_or_else(|| name.clone(), |n| step_name(&workflow, n));
                        streams.spawn(stream_pod(pods.clone(), name, step));
                    }
                }
            }
            Err(e) if !warned => {
                warned = true;
                eprintln!(
                    "warning: cannot list the pods of workflow {workflow} ({e}); logs are not shown"
                );
            }
            Err(_) => {}
        }
        if last {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
    // Finished pods' streams end by themselves; give running ones a moment.
    let drain = async { while streams.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        streams.abort_all();
    }
}

/// True once the pod's `main` container runs or has run.
fn main_started(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.name == MAIN_CONTAINER)
        .any(|c| {
            c.state
                .as_ref()
                .is_some_and(|s| s.running.is_some() || s.terminated.is_some())
        })
}

async fn stream_pod(pods: Api<Pod>, pod: String, step: String) {
    let params = LogParams {
        container: Some(MAIN_CONTAINER.to_owned()),
        follow: true,
        ..LogParams::default()
    };
    let reader = match pods.log_stream(&pod, &params).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: cannot stream the log of step {step} (pod {pod}): {e}");
            return;
        }
    };
    let mut lines = reader.lines();
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{step} | {line}");
            }
            Err(e) => {
                eprintln!("warning: the log of step {step} (pod {pod}) broke off: {e}");
                return;
            }
        }
    }
}

/// Lints the Workflow with the Argo Server (`POST /api/v1/workflows/{ns}/lint`).
async fn server_lint(
    server: &str,
    token: Option<&str>,
    namespace: &str,
    workflow: &Value,
) -> anyhow::Result<()> {
    let url = format!(
        "{}/api/v1/workflows/{namespace}/lint",
        server.trim_end_matches('/')
    );
    let http = reqwest::Client::builder()
        .user_agent(concat!("kpipe/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot set up the HTTP client")?;
    let mut request = http
        .post(&url)
        .json(&json!({"namespace": namespace, "workflow": workflow}));
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        // ARGO_TOKEN usually carries its own "Bearer " prefix.
        let value = if t.starts_with("Bearer ") {
            t.to_owned()
        } else {
            format!("Bearer {t}")
        };
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach the Argo Server at {server} ({url})"))?;
    let status = response.status();
    if status.is_success() {
        eprintln!("Argo Server {server}: the Workflow passes its lint");
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or(text);
    if matches!(status.as_u16(), 401 | 403) {
        bail!(
            "the Argo Server at {server} refused the lint request ({status}): {message}; set ARGO_TOKEN to a valid token"
        );
    }
    bail!("not sent: the Argo Server at {server} rejects the Workflow ({status}): {message}")
}

/// Turns a kube error into what the user should know and do.
fn kube_error(e: kube::Error, cluster: &str, what: &str) -> anyhow::Error {
    match &e {
        kube::Error::Api(s) => match s.code {
            401 => anyhow::anyhow!(
                "the Kubernetes API server at {cluster} rejected kpipe's credentials while trying to {what} (401 Unauthorized): {}; refresh the kubeconfig's user credentials",
                s.message
            ),
            403 => anyhow::anyhow!(
                "not allowed to {what} (403 Forbidden): {}; grant create/get/watch/patch on workflows.argoproj.io and get/list on pods and pods/log",
                s.message
            ),
            404 => anyhow::anyhow!(
                "cannot {what} (404 Not Found: {}): is Argo Workflows installed (the argoproj.io/v1alpha1 Workflow CRD) and does the namespace exist?",
                s.message
            ),
            _ => anyhow::anyhow!(
                "cannot {what}: the API server at {cluster} answered {} {}: {}",
                s.code,
                s.reason,
                s.message
            ),
        },
        _ => anyhow::Error::new(e).context(format!(
            "cannot reach the Kubernetes API server at {cluster} to {what}; check KUBECONFIG and its current context"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_step_names() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2024-03-01T00:00:10Z"), Some(1_709_251_210));
        assert_eq!(epoch_seconds("nope"), None);
        assert_eq!(step_name("wf-abc", "wf-abc.train"), "train");
        assert_eq!(step_name("wf-abc", "other.train"), "other.train");
    }
}
