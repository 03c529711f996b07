//! `kpipe prow`.

use std::path::PathBuf;

use clap::Args;

use super::{Outcome, lookup, output};
use crate::App;
use crate::prow::{self, KfpApi, ProwOptions};

#[derive(Args, Debug)]
#[command(after_help = "\
The jobs run `<app> submit … --wait --logs` in --image, so the job's result is
the workflow's. The pods' service account needs create/list/watch/patch on
workflows.argoproj.io and get/list on pods and pods/log in --namespace (or a
KFP token with --kfp). The postsubmit uses Prow's clone (decorate: true) and
needs sh and git in the image (the kpipe-step image has both). Pipelines that
declare the parameters `pr` and `commit` get the pull request's number and
commit (presubmit) or the pushed commit (postsubmit).

A job run again (/retest, /test JOB) submits a new workflow from the start. To
run only a failed run's failed steps again, retry it by hand with the name the
job's log shows: `<app> retry NAMESPACE/NAME --wait --logs` for `Submitted
workflow NAMESPACE/NAME`, or `<app> retry --kfp URL RUN_ID --wait --logs` for
`Created run NAME (RUN_ID)`; its succeeded steps keep their results.")]
pub(crate) struct ProwArgs {
    /// Pipeline the jobs submit (default: the default pipeline).
    pipeline: Option<String>,
    /// ORG/REPO whose pull requests and pushes trigger the jobs.
    #[arg(long, value_name = "ORG/REPO")]
    repo: String,
    /// Image with this program that the job pods run.
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
    /// Which KFP REST API the jobs use (default: kpipe submit's, v2).
    #[arg(long, value_enum, value_name = "API", requires = "kfp")]
    kfp_api: Option<KfpApi>,
    /// Endpoint of the pipeline's bot (an external plugin) for --plugins
    /// (default: the one the pipeline registers, if any).
    #[arg(long, value_name = "URL")]
    bot_endpoint: Option<String>,
}

pub(crate) fn run(app: &App, args: &ProwArgs) -> anyhow::Result<Outcome> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let params = app.build(entry).param_names();
    let opts = ProwOptions {
        program: app.name.to_owned(),
        pipeline: entry.name.clone(),
        params,
        default_namespace: app.namespace.clone(),
        repo: args.repo.clone(),
        image: args.image.clone(),
        namespace: args.namespace.clone(),
        service_account: args.service_account.clone(),
        branch: args.branch.clone(),
        interval: args.interval.clone(),
        kfp: args.kfp.clone(),
        kfp_api: args.kfp_api,
    };
    prow::check(&opts)?;
    let doc = if args.plugins {
        let endpoint = args.bot_endpoint.as_deref().or(entry.prow_bot.as_deref());
        prow::plugins(&opts, endpoint)
    } else {
        prow::jobs(&opts)
    };
    let yaml = kpipe_compiler::to_yaml(&doc)
        .map_err(|e| anyhow::anyhow!("cannot write the Prow config: {e}"))?;
    output::write_text(args.output.as_deref(), &yaml)?;
    Ok(Outcome::Success)
}
