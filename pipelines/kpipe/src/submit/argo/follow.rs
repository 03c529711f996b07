//! Following a Workflow to its end with kube's watcher (initial list, watch,
//! re-list after `410 Gone`, backoff between retries), and stopping it.

use futures::StreamExt as _;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher;
use serde_json::json;

use super::error::kube_error;
use crate::submit::End;
use crate::submit::progress::{Progress, argo_nodes};
use crate::submit::wait::Stop;

/// Transient failures in a row (dropped connections, timeouts) after which
/// kpipe gives up following.
const RETRIES: u32 = 5;

/// Follows the workflow until it reaches a final phase or disappears,
/// printing its steps' phases into `progress`.
pub(super) async fn follow(
    api: &Api<DynamicObject>,
    name: &str,
    cluster: &str,
    progress: &mut Progress,
) -> anyhow::Result<End> {
    let deleted = || {
        End::Lost(format!(
            "workflow {name} was deleted while kpipe was waiting for it"
        ))
    };
    let mut events = watcher::watch_object(api.clone(), name)
        .default_backoff()
        .boxed();
    let mut failures = 0u32;
    while let Some(event) = events.next().await {
        let error = match event {
            Ok(Some(workflow)) => {
                failures = 0;
                if let Some(end) = update(progress, name, &workflow) {
                    return Ok(end);
                }
                continue;
            }
            Ok(None) => return Ok(deleted()),
            Err(e) => e,
        };
        let (cause, what) = match error {
            // The watcher lists again by itself.
            watcher::Error::WatchError(s) if s.code == 410 => continue,
            watcher::Error::WatchError(s) => {
                anyhow::bail!(
                    "watching workflow {name} failed: {} ({})",
                    s.message,
                    s.code
                )
            }
            watcher::Error::InitialListFailed(e) => (e, "read"),
            watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => (e, "watch"),
            e @ watcher::Error::NoResourceVersion => {
                failures += 1;
                if failures > RETRIES {
                    return Err(anyhow::Error::new(e).context(format!("watching workflow {name}")));
                }
                eprintln!("warning: watching workflow {name} failed ({e}); retrying");
                continue;
            }
        };
        failures += 1;
        if matches!(cause, kube::Error::Api(_)) || failures > RETRIES {
            return Err(kube_error(
                cause,
                cluster,
                &format!("{what} workflow {name}"),
            ));
        }
        eprintln!("warning: the watch on workflow {name} broke ({cause}); resuming");
    }
    anyhow::bail!("the watch on workflow {name} ended unexpectedly")
}

/// Records the workflow's steps; returns the end when its phase is final.
fn update(progress: &mut Progress, name: &str, workflow: &DynamicObject) -> Option<End> {
    let status = &workflow.data["status"];
    for (id, node) in argo_nodes(name, status) {
        progress.observe(&id, node);
    }
    let message = status["message"].as_str().unwrap_or("").to_owned();
    match status["phase"].as_str()? {
        "Succeeded" => Some(End::Succeeded),
        "Failed" => Some(End::Failed(progress.reason(message))),
        "Error" => Some(End::Error(progress.reason(message))),
        _ => None,
    }
}

/// A created Workflow, as far as stopping it goes.
pub(super) struct Workflow<'a> {
    pub(super) api: &'a Api<DynamicObject>,
    pub(super) namespace: &'a str,
    pub(super) name: &'a str,
}

impl Stop for Workflow<'_> {
    /// `spec.shutdown: Terminate`, what `argo terminate` does: running pods
    /// are killed, exit handlers skipped.
    async fn stop(&self, why: &str) {
        let (namespace, name) = (self.namespace, self.name);
        let patch = json!({"spec": {"shutdown": "Terminate"}});
        match self
            .api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                eprintln!("{why}: stopped workflow {namespace}/{name} (spec.shutdown=Terminate)")
            }
            Err(e) => eprintln!(
                "{why}: could not stop workflow {namespace}/{name}: {e}; stop it with `kubectl patch workflow {name} -n {namespace} --type merge -p '{{\"spec\":{{\"shutdown\":\"Terminate\"}}}}'`"
            ),
        }
    }

    fn timed_out(&self, secs: u64) -> String {
        format!("--timeout {secs}s expired before the workflow finished; it was stopped")
    }
}
