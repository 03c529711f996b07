//! `kpipe submit`: send a pipeline to a cluster and follow it; `kpipe
//! retry`: run a failed one's failed steps again ([`argo::retry()`],
//! [`kfp::retry()`]) and follow it the same way.
//!
//! - [`prepare`](mod@prepare) / [`ir`](mod@ir): which pipeline, checked offline, with its
//!   parameters: an Argo Workflow (Argo, KFP v1beta1) or KFP v2 IR (KFP
//!   v2beta1).
//! - [`argo`]: Argo itself through the Kubernetes API.
//! - [`kfp`]: Kubeflow Pipelines through its REST API (v2beta1 with the IR,
//!   or v1beta1 with the Workflow).
//! - Shared by both: SIGINT/SIGTERM handling installed before anything is
//!   created (`signal`), the wait for the end, a signal or `--timeout`
//!   (`wait`), step phases and the summary table (`progress`), every
//!   step's log from its pod (`logs`: Argo's, and KFP's, which runs on
//!   Argo), one HTTP
//!   client builder (`http`) and where tokens come from ([`token`], held
//!   as `secrecy::SecretString`).

pub(crate) mod argo;
pub(crate) mod ir;
pub(crate) mod kfp;
pub(crate) mod prepare;
pub(crate) mod token;

mod http;
mod logs;
mod progress;
mod signal;
mod wait;

pub(crate) use crate::prow::KfpApi;
pub(crate) use ir::{PreparedIr, prepare_ir};
pub(crate) use prepare::{Prepared, prepare};
pub(crate) use signal::Interrupt;

/// How a submission ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Created (or retried); not waited for.
    Submitted,
    /// The workflow (run) succeeded.
    Succeeded,
    /// A step failed (Argo phase `Failed`, KFP status `Failed`/`FAILED`).
    Failed(String),
    /// The workflow could not run (Argo phase `Error`: invalid spec, pod
    /// creation refused, controller errors; KFP v1 status `Error`).
    Error(String),
    /// The workflow vanished or could not be followed any more (deleted
    /// while waiting, `--timeout` expired).
    Lost(String),
    /// SIGINT/SIGTERM: the workflow was asked to stop.
    Interrupted(Interrupt),
}

impl End {
    /// The process exit code for this end (documented in `kpipe submit --help`).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            End::Submitted | End::Succeeded => 0,
            End::Failed(_) => 1,
            End::Error(_) => 3,
            End::Lost(_) => 4,
            End::Interrupted(sig) => sig.exit_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::SecretString;

    use super::*;

    /// Every struct that holds a token prints none with `{:?}`.
    #[test]
    fn debug_output_redacts_every_token() {
        const SECRET: &str = "s3cret-token-do-not-print";
        let token = || Some(SecretString::from(SECRET));
        let kfp = kfp::KfpOptions {
            url: "http://kfp".into(),
            api: KfpApi::V2,
            token: token(),
            experiment: "e".into(),
            namespace: None,
            wait: true,
            timeout: None,
            service_account: None,
            poll: Duration::from_secs(5),
            logs: None,
        };
        let argo = argo::ArgoOptions {
            namespace: "ns".into(),
            wait: true,
            logs: false,
            server: Some("http://argo".into()),
            server_token: token(),
            timeout: None,
            poll: Duration::from_secs(2),
        };
        let client = kfp::client::Client::new("http://kfp", token(), "v2beta1")
            .unwrap_or_else(|e| panic!("{e:#}"));
        for debug in [
            format!("{kfp:?}"),
            format!("{argo:?}"),
            format!("{client:?}"),
            format!("{:?}", token()),
        ] {
            assert!(!debug.contains(SECRET), "{debug}");
            assert!(debug.contains("REDACTED"), "{debug}");
        }
    }
}
