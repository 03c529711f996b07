//! `kpipe submit`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::{Outcome, parse_param};
use crate::App;
use crate::submit::kfp::{KfpLogs, KfpOptions, Submission};
use crate::submit::{self, End, KfpApi, argo::ArgoOptions, token};

/// Where a single-user Kubeflow Pipelines runs its pods.
const KFP_NAMESPACE: &str = "kubeflow";

#[derive(Args, Debug)]
#[command(after_help = "\
Exit codes:
  0    submitted (without --wait), or the workflow succeeded
  1    the workflow failed, or kpipe could not submit (the error says why)
  2    usage error
  3    the workflow ended in Error (Argo could not run it)
  4    the workflow was deleted while waiting, or --timeout expired
  130  SIGINT, 143 SIGTERM: the workflow was stopped before exiting

Argo uses the kubeconfig (KUBECONFIG, current context) or the in-cluster
service account. Kubeflow Pipelines gets the pipeline's v2 IR through its
v2beta1 API (KFP 2.x), or the Argo Workflow through v1beta1 with --kfp-api v1,
and a bearer token from --kfp-token-file, KPIPE_KFP_TOKEN or
KF_PIPELINES_SA_TOKEN_PATH. Its API has no logs: --logs reads them from the
run's pods (label pipeline/runid) through the Kubernetes API, in --namespace
(the profile namespace) or kubeflow.")]
pub(crate) struct SubmitArgs {
    /// Pipeline name, or a compiled file: Argo Workflow YAML, or KFP v2 IR for --kfp (default: the default pipeline).
    pipeline: Option<String>,
    /// Set a pipeline parameter (repeatable); `pr` and `commit` name the run `test-<pr>-<commit>`.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Submit to Argo through the Kubernetes API (the default).
    #[arg(long, conflicts_with = "kfp")]
    argo: bool,
    /// Submit to the Kubeflow Pipelines API at URL instead of Argo.
    #[arg(long, value_name = "URL")]
    kfp: Option<String>,
    /// Which KFP REST API: v2 (v2beta1, the pipeline's v2 IR) or v1 (v1beta1, its Argo Workflow).
    #[arg(long, value_enum, value_name = "API", default_value_t = KfpApi::V2, requires = "kfp")]
    kfp_api: KfpApi,
    /// Namespace of the Workflow (Argo) or Kubeflow profile namespace (KFP).
    #[arg(short, long, value_name = "NS")]
    namespace: Option<String>,
    #[command(flatten)]
    follow: FollowArgs,
    /// Image for every step (pipelines compiled by kpipe; default: the pipeline's).
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    /// Argo Server URL: lint the Workflow server-side before creating it (token: ARGO_TOKEN).
    #[arg(long, value_name = "URL", conflicts_with = "kfp")]
    argo_server: Option<String>,
    /// KFP experiment of the run (default: the pipeline's name).
    #[arg(long, value_name = "NAME", requires = "kfp")]
    experiment: Option<String>,
    /// File with the KFP bearer token.
    #[arg(long, value_name = "FILE", requires = "kfp")]
    kfp_token_file: Option<PathBuf>,
    /// Run without Kubeflow Pipelines' execution cache: every step runs, none
    /// reuses an earlier run's outputs (kfp's `enable_caching=False`; v2 API).
    #[arg(long, requires = "kfp")]
    no_cache: bool,
    /// Kubernetes service account of the KFP run.
    #[arg(long, value_name = "NAME", requires = "kfp")]
    service_account: Option<String>,
}

pub(crate) fn run(app: &App, args: &SubmitArgs) -> anyhow::Result<Outcome> {
    let follow = args.follow.follow();
    let target = args.pipeline.as_deref();
    let runtime = runtime()?;
    let (pipeline, end) = match &args.kfp {
        Some(url) => {
            let submission = match args.kfp_api {
                KfpApi::V2 => {
                    let options = kpipe_compiler::KfpOptions {
                        image: args.image.clone(),
                        no_cache: args.no_cache,
                    };
                    let ir = submit::prepare_ir(app, target, &options, &args.params)?;
                    Submission::from(&ir)
                }
                KfpApi::V1 if args.no_cache => bail!(
                    "--no-cache turns off the execution cache of KFP's v2 API; the v1 API (--kfp-api v1) runs the Argo Workflow, which KFP 1.x's cache never caches (kpipe sets no `pipelines.kubeflow.org/cache_enabled` label): drop --no-cache"
                ),
                KfpApi::V1 => {
                    let wf = submit::prepare(app, target, args.image.clone(), &args.params)?;
                    Submission::from(&wf)
                }
            };
            let kfp = KfpFlags {
                url,
                api: args.kfp_api,
                token_file: args.kfp_token_file.as_deref(),
                namespace: args.namespace.as_deref(),
            };
            let opts = KfpOptions {
                experiment: (args.experiment.clone())
                    .unwrap_or_else(|| submission.pipeline.clone()),
                service_account: args.service_account.clone(),
                ..kfp.options(&follow)?
            };
            let end = runtime.block_on(submit::kfp::submit(&submission, &opts))?;
            (submission.pipeline, end)
        }
        None => {
            let prepared = submit::prepare(app, target, args.image.clone(), &args.params)?;
            let opts = ArgoOptions {
                namespace: args
                    .namespace
                    .clone()
                    .unwrap_or_else(|| app.namespace.clone()),
                wait: follow.wait,
                logs: follow.logs,
                server: args.argo_server.clone(),
                server_token: token::argo(),
                timeout: follow.timeout,
                poll: follow.poll(2000),
            };
            let end = runtime.block_on(submit::argo::submit(&prepared, &opts))?;
            (prepared.pipeline, end)
        }
    };
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(report(&pipeline, &end))
}

/// The flags that say how `submit` and `retry` follow what they started.
#[derive(Args, Debug)]
pub(super) struct FollowArgs {
    /// Wait until the workflow ends; the exit code follows its result.
    #[arg(short, long)]
    wait: bool,
    /// Stream the log of every step that runs, from its pod, while waiting (implies --wait; with --kfp, through the Kubernetes API too).
    #[arg(long)]
    logs: bool,
    /// Give up after this many seconds of waiting and stop the workflow (implies --wait).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// How often to poll, in milliseconds: the KFP run (default 5000), the
    /// pods for logs (default 2000). For tests.
    #[arg(long, value_name = "MS", hide = true)]
    poll_ms: Option<u64>,
}

impl FollowArgs {
    /// What the flags ask for.
    pub(super) fn follow(&self) -> Follow {
        Follow::new(self.wait, self.logs, self.timeout, self.poll_ms)
    }
}

/// How `submit` and `retry` follow what they started, from their flags.
#[derive(Clone, Copy, Debug)]
pub(super) struct Follow {
    /// Until it ends (`--wait`, implied by `--logs` and `--timeout`).
    pub(super) wait: bool,
    /// Streaming the steps' logs.
    pub(super) logs: bool,
    pub(super) timeout: Option<Duration>,
    /// `--poll-ms` (tests).
    poll_ms: Option<u64>,
}

impl Follow {
    fn new(wait: bool, logs: bool, timeout: Option<u64>, poll_ms: Option<u64>) -> Self {
        Self {
            wait: wait || logs || timeout.is_some(),
            logs,
            timeout: timeout.map(Duration::from_secs),
            poll_ms,
        }
    }

    /// How often to poll: `--poll-ms`, else `default_ms`.
    pub(super) fn poll(&self, default_ms: u64) -> Duration {
        Duration::from_millis(self.poll_ms.unwrap_or(default_ms))
    }
}

/// The flags that say which Kubeflow Pipelines, and as whom.
#[derive(Debug)]
pub(super) struct KfpFlags<'a> {
    pub(super) url: &'a str,
    pub(super) api: KfpApi,
    pub(super) token_file: Option<&'a Path>,
    /// The profile namespace (multi-user installs), where the run's pods are.
    pub(super) namespace: Option<&'a str>,
}

impl KfpFlags<'_> {
    /// The options of a KFP run followed as `follow` says (no experiment,
    /// KFP's default service account).
    pub(super) fn options(&self, follow: &Follow) -> anyhow::Result<KfpOptions> {
        Ok(KfpOptions {
            url: self.url.to_owned(),
            api: self.api,
            token: token::kfp(self.token_file)?,
            experiment: String::new(),
            namespace: self.namespace.map(str::to_owned),
            wait: follow.wait,
            timeout: follow.timeout,
            service_account: None,
            poll: follow.poll(5000),
            logs: follow.logs.then(|| KfpLogs {
                namespace: self.namespace.unwrap_or(KFP_NAMESPACE).to_owned(),
                poll: follow.poll(2000),
            }),
        })
    }
}

/// The runtime `submit` and `retry` run on.
pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Says how `what` (a pipeline, a workflow, a run) ended; its exit code.
pub(super) fn report(what: &str, end: &End) -> Outcome {
    match end {
        End::Submitted => {}
        End::Succeeded => eprintln!("{what} succeeded"),
        End::Failed(why) => eprintln!("error: {what} failed: {why}"),
        End::Error(why) => eprintln!("error: {what} could not run: {why}"),
        End::Lost(why) => eprintln!("error: {why}"),
        End::Interrupted(sig) => eprintln!("interrupted by {sig}"),
    }
    match end.exit_code() {
        0 => Outcome::Success,
        code => Outcome::Exit(code),
    }
}
