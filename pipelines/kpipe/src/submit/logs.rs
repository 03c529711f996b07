//! Streaming every step's `main` container log, prefixed by its step: the
//! pods of an Argo Workflow (`kpipe submit --logs`), or of a Kubeflow
//! Pipelines run, which runs as one (`--kfp … --logs`). A retry
//! (`kpipe retry --logs`) leaves out the pods of the attempt before it, by
//! uid: a step that runs again gets a new pod of the same name.

use std::collections::HashSet;
use std::io::Write as _;
use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::argo::{MAIN_CONTAINER, NODE_NAME_ANNOTATION, WORKFLOW_LABEL};
use super::progress::step_name;

/// Label Kubeflow Pipelines puts on every pod of a run.
pub(super) const KFP_RUN_LABEL: &str = "pipeline/runid";

/// The step a pod runs, from its Argo node name (`None`: not streamed).
type StepOf = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Which pods to stream, and the step each one runs.
pub(super) struct Pods {
    /// Where they are.
    pub(super) namespace: String,
    /// Their label selector.
    pub(super) selector: String,
    /// What the selection is, for messages ("workflow x", "KFP run r").
    pub(super) what: String,
    /// The step each pod runs.
    pub(super) step: StepOf,
    /// Uids of pods not to stream (an earlier attempt's).
    pub(super) earlier: HashSet<String>,
}

impl Pods {
    /// Every pod of the Argo Workflow `workflow`.
    pub(super) fn workflow(namespace: &str, workflow: &str) -> Self {
        let name = workflow.to_owned();
        Self {
            namespace: namespace.to_owned(),
            selector: format!("{WORKFLOW_LABEL}={workflow}"),
            what: format!("workflow {workflow}"),
            step: Box::new(move |node| Some(step_name(&name, node))),
            earlier: HashSet::new(),
        }
    }

    /// The steps' pods of Kubeflow Pipelines run `run` (see [`kfp_step`]).
    pub(super) fn kfp_run(namespace: &str, run: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            selector: format!("{KFP_RUN_LABEL}={run}"),
            what: format!("KFP run {run}"),
            step: Box::new(kfp_step),
            earlier: HashSet::new(),
        }
    }

    /// Leaves out the pods there are now (before a retry): only the pods
    /// of the steps that run again are streamed. When they cannot be
    /// listed, none is left out (the stream itself says why).
    pub(super) async fn after_existing(mut self, client: &Client) -> Self {
        let pods: Api<Pod> = Api::namespaced(client.clone(), &self.namespace);
        let selector = ListParams::default().labels(&self.selector);
        if let Ok(list) = pods.list(&selector).await {
            self.earlier
                .extend(list.items.iter().filter_map(|p| p.metadata.uid.clone()));
        }
        self
    }
}

/// The step of a KFP run's pod, from its node name: KFP 1.x runs each
/// step as a node named after it (`wf.train`); KFP 2.x as an `executor` in
/// a DAG named after it (`wf.root.train.executor`), next to the drivers
/// (`wf.root.train-driver`, `wf.root-driver`), which are KFP's own and not
/// streamed.
pub(super) fn kfp_step(node: &str) -> Option<String> {
    let mut parts = node.rsplit('.');
    let last = parts.next()?;
    let step = if last == "executor" {
        parts.next()?
    } else {
        last
    };
    (!step.ends_with("-driver") && step != "root" && !step.is_empty()).then(|| step.to_owned())
}

/// Streams the log of every selected pod whose `main` container has
/// started (the pods are listed every `poll`), until `stop` and the streams
/// end.
pub(super) async fn stream(
    client: Client,
    select: Pods,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let pods: Api<Pod> = Api::namespaced(client, &select.namespace);
    let selector = ListParams::default().labels(&select.selector);
    let mut started = HashSet::new();
    let mut streams = JoinSet::new();
    let mut warned = false;
    loop {
        let last = *stop.borrow();
        match pods.list(&selector).await {
            Ok(list) => {
                for pod in list {
                    let name = pod.name_any();
                    // by uid: a retried step's new pod has its old name
                    let uid = pod.metadata.uid.clone().unwrap_or_else(|| name.clone());
                    if select.earlier.contains(&uid) || !main_started(&pod) || !started.insert(uid)
                    {
                        continue;
                    }
                    let step = match pod.annotations().get(NODE_NAME_ANNOTATION) {
                        Some(node) => (select.step)(node),
                        None => Some(name.clone()),
                    };
                    if let Some(step) = step {
                        streams.spawn(stream_pod(pods.clone(), name, step));
                    }
                }
            }
            Err(e) if !warned => {
                warned = true;
                eprintln!(
                    "warning: cannot list the pods of {} in namespace {} ({e}); logs are not shown",
                    select.what, select.namespace
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfp_pods_are_named_after_their_task_and_drivers_are_left_out() {
        for (node, step) in [
            ("test-42-abc-x7k2p.train", Some("train")),
            ("test-42-abc-x7k2p.root.train.executor", Some("train")),
            (
                "test-42-abc-x7k2p.root.for-loop-2.iteration(0).fetch.executor",
                Some("fetch"),
            ),
            ("test-42-abc-x7k2p.root.train-driver", None),
            ("test-42-abc-x7k2p.root-driver", None),
            ("test-42-abc-x7k2p.root", None),
            ("executor", None),
        ] {
            assert_eq!(kfp_step(node).as_deref(), step, "{node}");
        }
    }
}
