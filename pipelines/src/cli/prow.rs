//! `kpipe prow`.

use std::path::PathBuf;

use clap::Args;

use super::{Outcome, lookup, output};
use crate::PipelineEntry;
use crate::prow::{self, ProwOptions};

#[derive(Args, Debug)]
#[command(after_help = "\
The jobs run `kpipe submit … --wait --logs` in --image, so the job's result is
the workflow's. The pods' service account needs create/get/watch/patch on
workflows.argoproj.io and get/list on pods and pods/log in --namespace (or a
KFP token with --kfp). The postsubmit uses Prow's clone (decorate: true) and
needs sh and git in the image (the kpipe-step image has both).")]
pub(crate) struct ProwArgs {
    /// Pipeline the jobs submit (default: kubernetes-analysis).
    pipeline: Option<String>,
    /// ORG/REPO whose pull requests and pushes trigger the jobs.
    #[arg(long, value_name = "ORG/REPO")]
    repo: String,
    /// Image with kpipe that the job pods run.
    #[arg(long, value_name = "REF")]
    image: String,
    /// Write the YAML to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the plugins.yaml entries (trigger + the bot) instead of the jobs.
    #[arg(long)]
    plugins: bool,
    /// Namespace the workflows run in (default: kubeflow); with --kfp, the
    /// Kubeflow profile namespace of a multi-user install (default: none).
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
    /// Service account of the job pods.
    #[arg(long, value_name = "NAME", default_value = "kpipe")]
    service_account: String,
    /// Branch whose pushes run the postsubmit.
    #[arg(long, value_name = "NAME", default_value = "master")]
    branch: String,
    /// Interval of the periodic job (Go duration).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    interval: String,
    /// Submit to this Kubeflow Pipelines API instead of Argo.
    #[arg(long, value_name = "URL")]
    kfp: Option<String>,
    /// Endpoint of the bot for --plugins.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://kubernetes-analysis-bot.prow.svc.cluster.local/hook"
    )]
    bot_endpoint: String,
}

pub(crate) fn run(registry: &[PipelineEntry], args: &ProwArgs) -> anyhow::Result<Outcome> {
    let entry = lookup(registry, args.pipeline.as_deref())?;
    let opts = ProwOptions {
        pipeline: entry.name.to_owned(),
        repo: args.repo.clone(),
        image: args.image.clone(),
        namespace: args.namespace.clone(),
        service_account: args.service_account.clone(),
        branch: args.branch.clone(),
        interval: args.interval.clone(),
        kfp: args.kfp.clone(),
    };
    prow::check(&opts)?;
    let doc = if args.plugins {
        prow::plugins(&opts, &args.bot_endpoint)
    } else {
        prow::jobs(&opts)
    };
    let yaml = kpipe_compiler::to_yaml(&doc)
        .map_err(|e| anyhow::anyhow!("cannot write the Prow config: {e}"))?;
    output::write_text(args.output.as_deref(), &yaml)?;
    Ok(Outcome::Success)
}
