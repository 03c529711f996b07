//! Waiting for a submitted workflow (Argo) or run (Kubeflow Pipelines):
//! until it ends, a signal arrives or `--timeout` expires, whichever is
//! first; on the last two it is stopped before kpipe exits.

use std::future::Future;
use std::time::Duration;

use super::End;
use super::signal::Signals;

/// What was submitted, as far as stopping it goes.
pub(crate) trait Stop {
    /// Asks the cluster to stop it; prints what happened (`why` first).
    async fn stop(&self, why: &str);

    /// What `--timeout SECS` ends with, saying it was stopped.
    fn timed_out(&self, secs: u64) -> String;
}

/// Stops `target` if a signal arrived while it was being created (the
/// handlers were installed before); `None` when none did.
pub(crate) async fn interrupted_while_creating(
    signals: &mut Signals,
    target: &impl Stop,
) -> Option<End> {
    let sig = signals.pending()?;
    target.stop(&sig.to_string()).await;
    Some(End::Interrupted(sig))
}

/// Runs `follow` until it ends; stops `target` on SIGINT/SIGTERM or when
/// `timeout` expires.
pub(crate) async fn until_end(
    follow: impl Future<Output = anyhow::Result<End>>,
    signals: &mut Signals,
    timeout: Option<Duration>,
    target: &impl Stop,
) -> anyhow::Result<End> {
    let expired = async {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        end = follow => end,
        sig = signals.recv() => {
            target.stop(&sig.to_string()).await;
            Ok(End::Interrupted(sig))
        }
        () = expired => {
            let secs = timeout.map_or(0, |t| t.as_secs());
            target.stop(&format!("--timeout {secs}s")).await;
            Ok(End::Lost(target.timed_out(secs)))
        }
    }
}
