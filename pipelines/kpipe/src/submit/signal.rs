//! SIGINT / SIGTERM while waiting on a workflow.

use std::fmt;

/// Which signal asked kpipe to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM (what Prow and Kubernetes send when a job is aborted).
    Term,
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        })
    }
}

/// Resolves with the first SIGINT or SIGTERM. Must be polled inside a tokio
/// runtime; if the handlers cannot be installed it never resolves (and says
/// so once).
pub(crate) async fn interrupted() -> Interrupt {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => Interrupt::Int,
                _ = term.recv() => Interrupt::Term,
            },
            (Err(e), _) | (_, Err(e)) => {
                eprintln!(
                    "warning: cannot handle SIGINT/SIGTERM ({e}); the workflow will not be stopped on exit"
                );
                std::future::pending().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Interrupt::Int,
            Err(e) => {
                eprintln!(
                    "warning: cannot handle Ctrl-C ({e}); the workflow will not be stopped on exit"
                );
                std::future::pending().await
            }
        }
    }
}
