//! Why `kpipe retry` leaves a workflow as it is.

use std::fmt;

/// Why a workflow is not retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Its phase is not final (`Pending`, `Running`, none yet).
    NotFinished { phase: String },
    /// It succeeded and no step was chosen to run again.
    Succeeded,
    /// Its nodes are in Argo's database.
    Offloaded,
    /// Its nodes are compressed into `status.compressedNodes`.
    Compressed,
    /// `--node` names no node.
    UnknownNodes {
        names: Vec<String>,
        steps: Vec<String>,
    },
    /// `status.nodes` does not hang together.
    Inconsistent(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFinished { phase } => {
                let phase = if phase.is_empty() { "not started" } else { phase };
                write!(
                    f,
                    "it has not finished (phase {phase}): only a failed workflow is retried; wait for it to end, or stop it first"
                )
            }
            Refusal::Succeeded => f.write_str(
                "it succeeded, so nothing failed; to run chosen steps again, add --restart-successful --node STEP",
            ),
            Refusal::Offloaded => f.write_str(
                "its node status is offloaded to Argo's database (status.offloadNodeStatusVersion), which the Kubernetes API does not serve; retry it with `argo retry` through the Argo Server",
            ),
            Refusal::Compressed => f.write_str(
                "its node status is compressed (status.compressedNodes), which kpipe does not read; retry it with `argo retry`",
            ),
            Refusal::UnknownNodes { names, steps } => write!(
                f,
                "--node {}: no such step in it; its steps: {}",
                names.join(", "),
                steps.join(", ")
            ),
            Refusal::Inconsistent(why) => write!(
                f,
                "its status.nodes does not hang together ({why}); retry it with `argo retry`"
            ),
        }
    }
}
