//! `kpipe retry`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Outcome;
use super::submit::{FollowArgs, KfpFlags, report, runtime};
use crate::App;
use crate::submit::argo::{ArgoOptions, Restart};
use crate::submit::{self, KfpApi};

#[derive(Args, Debug)]
#[command(after_help = "\
Exit codes:
  0    retried (without --wait), or the workflow succeeded
  1    the workflow failed again, or kpipe could not retry it (the error says
       why: not failed, still running, no such run, RBAC, token, unreachable)
  2    usage error
  3    the workflow ended in Error (Argo could not run it)
  4    the workflow was deleted while waiting, or --timeout expired
  130  SIGINT, 143 SIGTERM: the workflow was stopped before exiting

On Argo, kpipe does what `argo retry` does, through the Kubernetes API alone:
the failed and errored steps and every step after them run again (their pods
are deleted first), succeeded steps keep their results, and the Workflow is
written back at the resourceVersion it was read at (a conflict reads it
again). It needs get/update/list/watch/patch on workflows.argoproj.io and
delete on pods. On Kubeflow Pipelines, KFP's own retry (runs/{id}:retry) does the same
for a failed or terminated run. RUN is what `submit` printed: the workflow's
name (or NAMESPACE/NAME), or with --kfp the run id.")]
pub(crate) struct RetryArgs {
    /// The run: an Argo Workflow's name (or NAMESPACE/NAME), or with --kfp a Kubeflow Pipelines run id.
    #[arg(value_name = "RUN")]
    run: String,
    /// Retry an Argo Workflow through the Kubernetes API (the default).
    #[arg(long, conflicts_with = "kfp")]
    argo: bool,
    /// Retry a run of the Kubeflow Pipelines API at URL instead.
    #[arg(long, value_name = "URL")]
    kfp: Option<String>,
    /// Which KFP REST API: v2 (v2beta1) or v1 (v1beta1).
    #[arg(long, value_enum, value_name = "API", default_value_t = KfpApi::V2, requires = "kfp")]
    kfp_api: KfpApi,
    /// Namespace of the Workflow (Argo), or the Kubeflow profile namespace of the run's pods (KFP, for --logs).
    #[arg(short, long, value_name = "NS")]
    namespace: Option<String>,
    #[command(flatten)]
    follow: FollowArgs,
    /// Also run the succeeded steps named with --node again, and every step after them (Argo).
    #[arg(long, requires = "node", conflicts_with = "kfp")]
    restart_successful: bool,
    /// A succeeded step to run again with --restart-successful: its name (train), or its node's name or id (repeatable).
    #[arg(long, value_name = "NAME", num_args = 1.., requires = "restart_successful")]
    node: Vec<String>,
    /// File with the KFP bearer token.
    #[arg(long, value_name = "FILE", requires = "kfp")]
    kfp_token_file: Option<PathBuf>,
}

pub(crate) fn run(app: &App, args: &RetryArgs) -> anyhow::Result<Outcome> {
    let follow = args.follow.follow();
    let (what, end) = match &args.kfp {
        Some(url) => {
            let kfp = KfpFlags {
                url,
                api: args.kfp_api,
                token_file: args.kfp_token_file.as_deref(),
                namespace: args.namespace.as_deref(),
            };
            let opts = kfp.options(&follow)?;
            let runtime = runtime()?;
            let end = runtime.block_on(submit::kfp::retry(&args.run, &opts));
            runtime.shutdown_timeout(Duration::from_secs(1));
            (format!("run {}", args.run), end?)
        }
        None => {
            let (namespace, name) = workflow(&args.run, args.namespace.as_deref(), &app.namespace)?;
            let opts = ArgoOptions {
                namespace,
                wait: follow.wait,
                logs: follow.logs,
                server: None,
                server_token: None,
                timeout: follow.timeout,
                poll: follow.poll(2000),
            };
            let restart = Restart {
                nodes: args.node.clone(),
            };
            let runtime = runtime()?;
            let end = runtime.block_on(submit::argo::retry(&name, &restart, &opts));
            runtime.shutdown_timeout(Duration::from_secs(1));
            (format!("workflow {}/{name}", opts.namespace), end?)
        }
    };
    Ok(report(&what, &end))
}

/// The namespace and name of the Workflow `run` names (`NAME` or
/// `NAMESPACE/NAME`, as `submit` prints it), in `namespace` (`-n`), else
/// `default`.
fn workflow(run: &str, namespace: Option<&str>, default: &str) -> anyhow::Result<(String, String)> {
    let (ns, name) = match run.split_once('/') {
        Some((ns, name)) => {
            if let Some(n) = namespace.filter(|n| *n != ns) {
                anyhow::bail!("`{run}` names namespace {ns}, but -n says {n}: give one of them");
            }
            (ns, name)
        }
        None => (namespace.unwrap_or(default), run),
    };
    for (what, value) in [("namespace", ns), ("Workflow name", name)] {
        if !is_name(value) {
            anyhow::bail!(
                "`{value}` is not a {what} (lowercase letters, digits, '-' and '.'); a Kubeflow Pipelines run is retried with --kfp URL and its run id"
            );
        }
    }
    Ok((ns.to_owned(), name.to_owned()))
}

/// A Kubernetes object name (RFC 1123 subdomain).
fn is_name(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 253
        && s.starts_with(ok)
        && s.ends_with(ok)
        && s.chars().all(|c| ok(c) || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_names_or_namespaced_names() {
        let got =
            |run: &str, ns: Option<&str>| workflow(run, ns, "kubeflow").map_err(|e| e.to_string());
        let pair = |ns: &str, name: &str| Ok((ns.to_owned(), name.to_owned()));
        assert_eq!(
            got("test-42-abc123-x7k2p", None),
            pair("kubeflow", "test-42-abc123-x7k2p")
        );
        assert_eq!(got("wf", Some("ci")), pair("ci", "wf"));
        assert_eq!(got("ci/wf", None), pair("ci", "wf"));
        assert_eq!(got("ci/wf", Some("ci")), pair("ci", "wf"));
        let err = got("ci/wf", Some("prod")).err().unwrap_or_default();
        assert!(
            err.contains("names namespace ci, but -n says prod"),
            "{err}"
        );
        for bad in ["", "Wf", "wf-", "a/b/c", "ci/", "3f2c7a1e_run"] {
            let err = got(bad, None).err().unwrap_or_default();
            assert!(err.contains("--kfp URL"), "{bad}: {err}");
        }
    }
}
