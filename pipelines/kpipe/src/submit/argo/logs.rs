//! Streaming every step's `main` container log, prefixed by its step.

use std::collections::HashSet;
use std::io::Write as _;
use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, ResourceExt};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{MAIN_CONTAINER, NODE_NAME_ANNOTATION, WORKFLOW_LABEL};
use crate::submit::progress::step_name;

/// Streams the log of every pod of `workflow` whose `main` container has
/// started (the pods are listed every `poll`), until `stop` and the streams
/// end.
pub(super) async fn stream(
    client: Client,
    namespace: String,
    workflow: String,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let pods: Api<Pod> = Api::namespaced(client, &namespace);
    let selector = ListParams::default().labels(&format!("{WORKFLOW_LABEL}={workflow}"));
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
