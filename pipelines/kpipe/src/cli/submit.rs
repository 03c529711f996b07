//! `kpipe submit`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::{Outcome, parse_param};
use crate::App;
use crate::submit::{self, End, argo::ArgoOptions, kfp::KfpOptions};

/// Default token file of KFP's in-cluster service account token projection.
const KFP_SA_TOKEN: &str = "/var/run/secrets/kubeflow/pipelines/token";

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
service account. Kubeflow Pipelines takes a bearer token from
--kfp-token-file, KPIPE_KFP_TOKEN or KF_PIPELINES_SA_TOKEN_PATH.")]
pub(crate) struct SubmitArgs {
    /// Pipeline name or compiled Workflow YAML file (default: the default pipeline).
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
    /// Namespace of the Workflow (Argo) or Kubeflow profile namespace (KFP).
    #[arg(short, long, value_name = "NS")]
    namespace: Option<String>,
    /// Wait until the workflow ends; the exit code follows its result.
    #[arg(short, long)]
    wait: bool,
    /// Stream every step's log while waiting (Argo; implies --wait).
    #[arg(long)]
    logs: bool,
    /// Give up after this many seconds of waiting and stop the workflow (implies --wait).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
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
    /// Kubernetes service account of the KFP run.
    #[arg(long, value_name = "NAME", requires = "kfp")]
    service_account: Option<String>,
}

pub(crate) fn run(app: &App, args: &SubmitArgs) -> anyhow::Result<Outcome> {
    let prepared = submit::prepare(
        app,
        args.pipeline.as_deref(),
        args.image.clone(),
        &args.params,
    )?;
    let wait = args.wait || args.logs || args.timeout.is_some();
    let timeout = args.timeout.map(Duration::from_secs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let end = match &args.kfp {
        Some(url) => {
            if args.logs {
                eprintln!(
                    "note: the Kubeflow Pipelines API has no log endpoint; kpipe shows step phases (use --argo for logs)"
                );
            }
            let opts = KfpOptions {
                url: url.clone(),
                token: kfp_token(args.kfp_token_file.as_deref())?,
                experiment: args
                    .experiment
                    .clone()
                    .unwrap_or_else(|| prepared.pipeline.clone()),
                namespace: args.namespace.clone(),
                wait,
                timeout,
                service_account: args.service_account.clone(),
            };
            runtime.block_on(submit::kfp::submit(&prepared, &opts))?
        }
        None => {
            let opts = ArgoOptions {
                namespace: args
                    .namespace
                    .clone()
                    .unwrap_or_else(|| app.namespace.clone()),
                wait,
                logs: args.logs,
                server: args.argo_server.clone(),
                server_token: std::env::var("ARGO_TOKEN").ok(),
                timeout,
            };
            runtime.block_on(submit::argo::submit(&prepared, &opts))?
        }
    };
    runtime.shutdown_timeout(Duration::from_secs(1));
    match &end {
        End::Submitted => {}
        End::Succeeded => eprintln!("{} succeeded", prepared.pipeline),
        End::Failed(why) => eprintln!("error: {} failed: {why}", prepared.pipeline),
        End::Error(why) => eprintln!("error: {} could not run: {why}", prepared.pipeline),
        End::Lost(why) => eprintln!("error: {why}"),
        End::Interrupted(sig) => eprintln!("interrupted by {sig}"),
    }
    Ok(match end.exit_code() {
        0 => Outcome::Success,
        code => Outcome::Exit(code),
    })
}

/// The KFP token: the file given, KPIPE_KFP_TOKEN, or the projected
/// service-account token KFP's SDK reads.
fn kfp_token(file: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    if let Some(f) = file {
        let t = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the KFP token file {}", f.display()))?;
        return Ok(Some(t.trim().to_owned()));
    }
    if let Ok(t) = std::env::var("KPIPE_KFP_TOKEN") {
        return Ok(Some(t.trim().to_owned()));
    }
    let path = std::env::var("KF_PIPELINES_SA_TOKEN_PATH").unwrap_or_else(|_| KFP_SA_TOKEN.into());
    Ok(std::fs::read_to_string(path)
        .ok()
        .map(|t| t.trim().to_owned()))
}
