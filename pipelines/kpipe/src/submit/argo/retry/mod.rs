//! `kpipe retry NAME` on Argo, through the Kubernetes API alone (no Argo
//! Server): read the Workflow, work out what `argo retry` changes in it
//! ([`plan`](mod@plan)), delete the pods of the nodes that run again, and
//! write it back at the `resourceVersion` it was read at. A `409 Conflict`
//! (the controller or someone else wrote it in between) starts over from a
//! fresh read. Then it is followed as `submit` follows a new one.
//!
//! The order is Argo's: the pods go first. A node's pod name is
//! deterministic, so once the workflow runs again the controller would find
//! a retried node's old pod and take its old result.

mod graph;
mod plan;
mod pod_name;
mod refusal;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};

use super::error::kube_error_granting;
use super::{ArgoOptions, connect, follow_to_end, workflow_resource};
use crate::submit::End;
use crate::submit::logs::Pods;
use crate::submit::signal::{Interrupt, Signals};
pub(crate) use plan::Restart;
use plan::{Plan, plan};

/// Reads in a row that all meet a `409 Conflict` before kpipe gives up.
const ATTEMPTS: u32 = 5;

/// What `kpipe retry` needs RBAC to grant.
const GRANTS: &str = "get/update/list/watch/patch on workflows.argoproj.io and delete on pods (get/list on pods and pods/log for --logs)";

/// Retries workflow `name` (failed, or succeeded with steps chosen in
/// `restart`) and, with `wait`, follows it. A SIGINT/SIGTERM before it is
/// written back changes nothing more; one during the write stops it.
pub(crate) async fn retry(
    name: &str,
    restart: &Restart,
    opts: &ArgoOptions,
) -> anyhow::Result<End> {
    let mut signals = Signals::install();
    let (client, cluster) = connect().await?;
    let ns = &opts.namespace;
    let mut streamed = Pods::workflow(ns, name);
    if opts.logs {
        streamed = streamed.after_existing(&client).await;
    }
    let cluster_api = ClusterApi {
        workflows: Api::namespaced_with(client.clone(), ns, &workflow_resource()),
        pods: Api::namespaced(client.clone(), ns),
        cluster: &cluster,
        namespace: ns,
    };
    let plan = match cluster_api.write(name, restart, &mut signals).await? {
        Ok(plan) => plan,
        Err(sig) => return Ok(End::Interrupted(sig)),
    };
    if plan.steps.is_empty() {
        eprintln!("Retrying workflow {ns}/{name}: running again");
    } else {
        eprintln!(
            "Retrying workflow {ns}/{name}: {} run again",
            plan.steps.join(", ")
        );
    }
    follow_to_end(&client, &cluster, name, opts, &mut signals, streamed).await
}

/// The namespace's workflows and pods.
struct ClusterApi<'a> {
    workflows: Api<DynamicObject>,
    pods: Api<Pod>,
    cluster: &'a str,
    namespace: &'a str,
}

impl ClusterApi<'_> {
    /// Reads, plans, deletes the pods and writes the workflow back, until
    /// a write is not refused for a conflict. `Err(signal)`: interrupted
    /// before anything was changed.
    async fn write(
        &self,
        name: &str,
        restart: &Restart,
        signals: &mut Signals,
    ) -> anyhow::Result<Result<Plan, Interrupt>> {
        let ns = self.namespace;
        let mut attempt = 1;
        loop {
            let read = self.read(name).await?;
            let now = k8s_openapi::jiff::Timestamp::now().as_second();
            let now = k8s_openapi::jiff::Timestamp::from_second(now)
                .map(|t| t.to_string())
                .context("the clock is out of range")?;
            let plan = plan(&read, restart, &now)
                .map_err(|r| anyhow::anyhow!("cannot retry workflow {ns}/{name}: {r}"))?;
            if let Some(sig) = signals.pending() {
                return Ok(Err(sig));
            }
            for pod in &plan.pods {
                self.delete_pod(pod).await?;
            }
            let body: DynamicObject = serde_json::from_value(plan.workflow.clone())
                .context("the retried Workflow is not a Kubernetes object")?;
            match self
                .workflows
                .replace(name, &PostParams::default(), &body)
                .await
            {
                Ok(_) => return Ok(Ok(plan)),
                Err(kube::Error::Api(s)) if s.code == 409 && attempt < ATTEMPTS => {
                    attempt += 1;
                    eprintln!(
                        "workflow {ns}/{name} changed since kpipe read it (409 Conflict: {}); reading it again",
                        s.message
                    );
                }
                Err(kube::Error::Api(s)) if s.code == 409 => anyhow::bail!(
                    "workflow {ns}/{name} changed each of the {ATTEMPTS} times kpipe read it to retry it (409 Conflict: {}); something keeps writing it: try again once it has settled",
                    s.message
                ),
                Err(e) => {
                    let what = format!("update workflow {name} in namespace {ns}");
                    return Err(kube_error_granting(e, self.cluster, &what, GRANTS));
                }
            }
        }
    }

    /// The workflow as JSON.
    async fn read(&self, name: &str) -> anyhow::Result<serde_json::Value> {
        let ns = self.namespace;
        let read = match self.workflows.get(name).await {
            Ok(read) => read,
            Err(kube::Error::Api(s)) if s.code == 404 => anyhow::bail!(
                "no workflow {name} in namespace {ns} ({}): check the name and -n (`kubectl get workflows -n {ns}`); a Kubeflow Pipelines run is retried with --kfp URL and its run id",
                s.message
            ),
            Err(e) => {
                let what = format!("read workflow {name} in namespace {ns}");
                return Err(kube_error_granting(e, self.cluster, &what, GRANTS));
            }
        };
        serde_json::to_value(&read).context("the Workflow read is not JSON")
    }

    /// Deletes `pod`; one already gone is fine.
    async fn delete_pod(&self, pod: &str) -> anyhow::Result<()> {
        match self.pods.delete(pod, &DeleteParams::default()).await {
            Ok(_) => {
                eprintln!("Deleted pod {pod}");
                Ok(())
            }
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => {
                let what = format!(
                    "delete pod {pod} in namespace {} (a step that runs again)",
                    self.namespace
                );
                Err(kube_error_granting(e, self.cluster, &what, GRANTS))
            }
        }
    }
}
