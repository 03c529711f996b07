//! Polling a KFP run to its end, and terminating it.

use std::time::Duration;

use super::api::Kfp;
use super::client::refused;
use crate::submit::End;
use crate::submit::progress::{Node, Progress};
use crate::submit::wait::Stop;

/// Transient failures in a row (unreachable, timeouts) after which kpipe
/// gives up following.
const RETRIES: u32 = 5;

/// Where a run stands, in the flow's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Not finished (pending, running, canceling, paused, unknown).
    Running,
    /// Succeeded (v2 also: skipped, e.g. every task cached).
    Succeeded,
    /// Failed, terminated or canceled.
    Failed,
    /// Could not run (v1 status `Error`).
    Error,
}

/// A run as one read of it shows it.
#[derive(Clone, Debug)]
pub(crate) struct RunView {
    /// Its status or state as KFP spells it (`Running`, `RUNNING`).
    pub(crate) state: String,
    pub(crate) outcome: Outcome,
    /// KFP's error message (empty when none).
    pub(crate) message: String,
    /// Its steps, by KFP's id for each.
    pub(crate) tasks: Vec<(String, Node)>,
}

/// Polls the run every `poll` until it ends, printing its state and its
/// steps' states (into `progress`) as they change.
pub(super) async fn follow(
    api: &Kfp,
    id: &str,
    poll: Duration,
    progress: &mut Progress,
) -> anyhow::Result<End> {
    let mut failures = 0u32;
    let mut last_state = String::new();
    loop {
        let view = match api.run(id).await {
            Ok(Some(view)) => view,
            Ok(None) => {
                return Ok(End::Lost(format!(
                    "run {id} was deleted while kpipe was waiting for it"
                )));
            }
            Err(e) if refused(&e).is_none() && failures < RETRIES => {
                failures += 1;
                eprintln!("warning: reading run {id} failed ({e:#}); retrying");
                tokio::time::sleep(poll).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        failures = 0;
        for (task, node) in view.tasks {
            progress.observe(&task, node);
        }
        if view.state != last_state && !view.state.is_empty() {
            eprintln!("run {id}: {}", view.state);
            last_state.clone_from(&view.state);
        }
        let or = |default: String| {
            if view.message.is_empty() {
                default
            } else {
                view.message.clone()
            }
        };
        match view.outcome {
            Outcome::Running => {}
            Outcome::Succeeded => return Ok(End::Succeeded),
            Outcome::Failed => {
                let failed = progress.failed_steps();
                let default = if failed.is_empty() {
                    format!("run {id} {}", view.state.to_lowercase())
                } else {
                    format!("step {} failed", failed.join(", "))
                };
                return Ok(End::Failed(or(default)));
            }
            Outcome::Error => return Ok(End::Error(or(format!("run {id} ended in Error")))),
        }
        tokio::time::sleep(poll).await;
    }
}

/// A created run, as far as stopping it goes.
pub(super) struct Run<'a> {
    pub(super) api: &'a Kfp,
    pub(super) id: &'a str,
}

impl Stop for Run<'_> {
    async fn stop(&self, why: &str) {
        let id = self.id;
        match self.api.terminate(id).await {
            Ok(()) => eprintln!("{why}: terminated run {id}"),
            Err(e) => eprintln!("{why}: could not terminate run {id}: {e:#}"),
        }
    }

    fn timed_out(&self, secs: u64) -> String {
        format!(
            "--timeout {secs}s expired before run {} finished; it was terminated",
            self.id
        )
    }
}
