//! `kpipe submit --argo`: create the Workflow through the Kubernetes API
//! (kubeconfig or in-cluster service account), follow it to the end
//! (`follow`: kube's watcher), stream its pods' logs (`super::logs`), stop
//! it on SIGINT/SIGTERM or `--timeout`. `kpipe retry` ([`retry()`]) runs a
//! failed Workflow's failed steps again, as `argo retry` does, and follows
//! it the same way.
//!
//! What the original's Prow script did with `kfp run submit -w`, `sed`,
//! `argo logs -f`, `grep "Status: Failed"` and a SIGTERM trap, as one
//! process whose exit code is the workflow's phase.

mod error;
mod follow;
mod retry;
mod server_lint;

use std::time::Duration;

use anyhow::Context;
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use kube::{Client, ResourceExt};
use secrecy::SecretString;
use serde_json::Value;
use tokio::sync::watch;

use super::logs::{self, Pods};
use super::progress::Progress;
use super::signal::Signals;
use super::{End, Prepared, wait};
use error::kube_error;
use follow::{Workflow, follow};
pub(crate) use retry::{Restart, retry};

/// Label Argo puts on every pod of a workflow.
pub(crate) const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
/// Annotation with the pod's node name (`<workflow>.<task>`).
pub(crate) const NODE_NAME_ANNOTATION: &str = "workflows.argoproj.io/node-name";
/// The container that runs the step (Argo's emissary executor).
pub(crate) const MAIN_CONTAINER: &str = "main";

/// Where and how to submit.
#[derive(Clone, Debug)]
pub(crate) struct ArgoOptions {
    /// Namespace of the Workflow.
    pub(crate) namespace: String,
    /// Follow the workflow until it ends.
    pub(crate) wait: bool,
    /// Stream every step's log while waiting.
    pub(crate) logs: bool,
    /// Argo Server URL for a server-side lint before creating.
    pub(crate) server: Option<String>,
    /// Bearer token for the Argo Server (`ARGO_TOKEN`, see [`super::token::argo`]).
    pub(crate) server_token: Option<SecretString>,
    /// Stop waiting (and stop the workflow) after this long.
    pub(crate) timeout: Option<Duration>,
    /// How often the pods are listed for new logs to stream.
    pub(crate) poll: Duration,
}

/// The Workflow custom resource.
pub(crate) fn workflow_resource() -> ApiResource {
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
pub(crate) fn body(prepared: &Prepared, namespace: &str) -> Value {
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

/// Submits and, with `wait`, follows the workflow. SIGINT/SIGTERM are
/// handled from the start: one that arrives before the create sends
/// nothing, one that arrives during it stops what was created.
pub(crate) async fn submit(prepared: &Prepared, opts: &ArgoOptions) -> anyhow::Result<End> {
    let mut signals = Signals::install();
    crate::tls::install_crypto_provider();
    let body = body(prepared, &opts.namespace);
    if let Some(server) = &opts.server {
        server_lint::lint(server, opts.server_token.as_ref(), &opts.namespace, &body).await?;
    }
    let (client, cluster) = connect().await?;
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &opts.namespace, &workflow_resource());
    let obj: DynamicObject =
        serde_json::from_value(body).context("the Workflow is not a Kubernetes object")?;
    if let Some(sig) = signals.pending() {
        return Ok(End::Interrupted(sig));
    }
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
    let pods = Pods::workflow(&opts.namespace, &name);
    follow_to_end(&client, &cluster, &name, opts, &mut signals, pods).await
}

/// A client of the cluster in the kubeconfig (or the in-cluster service
/// account), and its URL for messages.
async fn connect() -> anyhow::Result<(Client, String)> {
    crate::tls::install_crypto_provider();
    let config = kube::Config::infer().await.context(
        "no Kubernetes configuration: not in a cluster and no usable kubeconfig (set KUBECONFIG or use --kfp)",
    )?;
    let cluster = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .with_context(|| format!("cannot set up a client for {cluster}"))?;
    Ok((client, cluster))
}

/// What follows a submission or a retry: stops workflow `name` if a
/// signal came meanwhile; without `wait`, prints its name; else follows it
/// to the end, streaming the logs of `pods` with `logs`.
async fn follow_to_end(
    client: &Client,
    cluster: &str,
    name: &str,
    opts: &ArgoOptions,
    signals: &mut Signals,
    pods: Pods,
) -> anyhow::Result<End> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &opts.namespace, &workflow_resource());
    let target = Workflow {
        api: &api,
        namespace: &opts.namespace,
        name,
    };
    if let Some(end) = wait::interrupted_while_creating(signals, &target).await {
        return Ok(end);
    }
    if !opts.wait {
        println!("{name}");
        return Ok(End::Submitted);
    }

    let (stop_logs, stopped) = watch::channel(false);
    let logs = opts
        .logs
        .then(|| tokio::spawn(logs::stream(client.clone(), pods, opts.poll, stopped)));
    let mut progress = Progress::default();
    let end = wait::until_end(
        follow(&api, name, cluster, &mut progress),
        signals,
        opts.timeout,
        &target,
    )
    .await;
    let _ = stop_logs.send(true);
    if let Some(task) = logs {
        let _ = task.await;
    }
    progress.summary();
    end
}
