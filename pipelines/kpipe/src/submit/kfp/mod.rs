//! `kpipe submit --kfp URL`: Kubeflow Pipelines' REST API.
//!
//! Two APIs, one flow and one set of calls ([`api`]); what differs between
//! them is data, a [`dialect::Dialect`] each:
//! - **v2beta1** (the default, [`v2`]): the KFP v2 IR, typed run parameters
//!   (`runtime_config.parameters`), the run's `state` and
//!   `run_details.task_details`.
//! - **v1beta1** (`--kfp-api v1`, [`v1`]): the compiled Argo Workflow, string
//!   parameters, the run's `status` and the workflow manifest's nodes.
//!
//! The flow: upload the pipeline once by name, then each distinct package
//! as a version named by its content hash (resubmitting the same pipeline
//! reuses the version; a lost upload race, 409, uses the winner's), find or
//! create the experiment, create the run and, with `--wait`, poll it to the
//! end (`follow`). With `--logs` the steps' logs come from their pods
//! through the Kubernetes API (KFP has no log endpoint; its runs are Argo
//! Workflows whose pods carry the run's id, `pipeline/runid`).
//!
//! `kpipe retry --kfp URL RUN` ([`retry()`]): KFP's own retry of a failed or
//! terminated run (`runs/{id}:retry`, v1beta1 `runs/{id}/retry`; KFP
//! resets the run's Argo Workflow as `argo retry` does), after kpipe has
//! read the run and refused one that is still running or succeeded; then
//! the same follow.

mod api;
pub(crate) mod client;
mod dialect;
mod follow;
mod v1;
mod v2;

use std::collections::BTreeSet;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::logs::{self, Pods};
use super::progress::Progress;
use super::signal::Signals;
use super::{End, KfpApi, Prepared, PreparedIr, wait};
use api::Kfp;
use client::{Client, Package, conflict};
use dialect::Dialect;
use follow::{Outcome, Run, follow};

/// Where and how to submit.
#[derive(Clone, Debug)]
pub(crate) struct KfpOptions {
    /// Base URL of the KFP API server (`http://ml-pipeline.kubeflow:8888`,
    /// or the UI's `…/pipeline` prefix behind Kubeflow's gateway).
    pub(crate) url: String,
    /// Which REST API.
    pub(crate) api: KfpApi,
    /// Bearer token (see [`super::token::kfp`]).
    pub(crate) token: Option<SecretString>,
    /// Experiment of the run.
    pub(crate) experiment: String,
    /// Kubeflow profile namespace (multi-user installs).
    pub(crate) namespace: Option<String>,
    /// Follow the run until it ends.
    pub(crate) wait: bool,
    /// Stop waiting (and terminate the run) after this long.
    pub(crate) timeout: Option<Duration>,
    /// Kubernetes service account of the run.
    pub(crate) service_account: Option<String>,
    /// How often the run is read while waiting.
    pub(crate) poll: Duration,
    /// Stream every step's log from its pod while waiting.
    pub(crate) logs: Option<KfpLogs>,
}

/// Where a KFP run's pods are, for their logs.
#[derive(Clone, Debug)]
pub(crate) struct KfpLogs {
    /// The namespace KFP runs pods in: the profile namespace (multi-user),
    /// else KFP's own (`kubeflow`).
    pub(crate) namespace: String,
    /// How often the pods are listed.
    pub(crate) poll: Duration,
}

/// What one submission sends: the package KFP stores as a pipeline version
/// and what the run carries.
#[derive(Clone, Debug)]
pub(crate) struct Submission {
    /// The pipeline's name.
    pub(crate) pipeline: String,
    /// The Workflow (v1beta1) or IR (v2beta1) YAML, with declared defaults.
    pub(crate) yaml: String,
    /// `test-<pr>-<commit>`, else `<pipeline>-<unix seconds>` is used.
    pub(crate) run_name: Option<String>,
    /// The run's parameters: strings for v1beta1, typed for v2beta1.
    pub(crate) parameters: Vec<(String, Value)>,
}

impl From<&Prepared> for Submission {
    fn from(p: &Prepared) -> Self {
        Self {
            pipeline: p.pipeline.clone(),
            yaml: p.yaml.clone(),
            run_name: p.run_name.clone(),
            parameters: (p.params.iter())
                .map(|(n, v)| (n.clone(), Value::String(v.clone())))
                .collect(),
        }
    }
}

impl From<&PreparedIr> for Submission {
    fn from(p: &PreparedIr) -> Self {
        Self {
            pipeline: p.pipeline.clone(),
            yaml: p.yaml.clone(),
            run_name: p.run_name.clone(),
            parameters: (p.parameters.iter())
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        }
    }
}

/// A run to create.
#[derive(Debug)]
pub(crate) struct NewRun<'a> {
    pub(crate) name: &'a str,
    pub(crate) experiment: &'a str,
    pub(crate) pipeline: &'a str,
    pub(crate) version: &'a str,
    pub(crate) parameters: &'a [(String, Value)],
    pub(crate) service_account: Option<&'a str>,
}

#[cfg(test)]
impl<'a> NewRun<'a> {
    /// Run `test-42-abc` of version `v-2` of pipeline `p-1` in experiment
    /// `e-1`, as `pipeline-runner`: what the tests of each API's run body
    /// create.
    pub(crate) fn example(parameters: &'a [(String, Value)]) -> Self {
        Self {
            name: "test-42-abc",
            experiment: "e-1",
            pipeline: "p-1",
            version: "v-2",
            parameters,
            service_account: Some("pipeline-runner"),
        }
    }
}

/// Uploads, creates the run and, with `wait`, follows it. SIGINT/SIGTERM
/// are handled from the start: one that arrives before the run is created
/// creates none, one that arrives during it terminates the run.
pub(crate) async fn submit(what: &Submission, opts: &KfpOptions) -> anyhow::Result<End> {
    let mut signals = Signals::install();
    let dialect = dialect(opts.api);
    let client = Client::new(&opts.url, opts.token.clone(), dialect.version)?;
    let tasks = if dialect.follows_ir_tasks {
        v2::task_names(&what.yaml)
    } else {
        BTreeSet::new()
    };
    flow(&Kfp::new(client, dialect, tasks), what, opts, &mut signals).await
}

/// What `--kfp-api` chose.
fn dialect(api: KfpApi) -> &'static Dialect {
    match api {
        KfpApi::V1 => &v1::V1BETA1,
        KfpApi::V2 => &v2::V2BETA1,
    }
}

async fn flow(
    api: &Kfp,
    what: &Submission,
    opts: &KfpOptions,
    signals: &mut Signals,
) -> anyhow::Result<End> {
    let ns = opts.namespace.as_deref();
    let (pipeline, version) = pipeline_version(api, what, ns).await?;
    let experiment = experiment(api, &opts.experiment, ns).await?;
    if let Some(sig) = signals.pending() {
        return Ok(End::Interrupted(sig));
    }
    let name = run_name(what);
    let run = api
        .create_run(&NewRun {
            name: &name,
            experiment: &experiment,
            pipeline: &pipeline,
            version: &version,
            parameters: &what.parameters,
            service_account: opts.service_account.as_deref(),
        })
        .await?;
    eprintln!(
        "Created run {name} ({run}) in experiment {}: {}/#/runs/details/{run}",
        opts.experiment,
        api.client().base()
    );
    let logs = log_source(opts, &run, false).await;
    follow_run(api, &run, opts, signals, logs).await
}

/// Retries run `id` (KFP's retry of its failed steps) and, with `wait`,
/// follows it. A run that is still running or that succeeded is refused
/// before anything is sent, as is an unknown id.
pub(crate) async fn retry(id: &str, opts: &KfpOptions) -> anyhow::Result<End> {
    let mut signals = Signals::install();
    let dialect = dialect(opts.api);
    let client = Client::new(&opts.url, opts.token.clone(), dialect.version)?;
    let tasks = if dialect.follows_ir_tasks {
        v2::run_task_names(&client, id).await
    } else {
        BTreeSet::new()
    };
    let api = Kfp::new(client, dialect, tasks);
    retry_flow(&api, id, opts, &mut signals).await
}

async fn retry_flow(
    api: &Kfp,
    id: &str,
    opts: &KfpOptions,
    signals: &mut Signals,
) -> anyhow::Result<End> {
    let base = api.client().base();
    let Some(run) = api.run(id).await? else {
        anyhow::bail!(
            "no run {id} in Kubeflow Pipelines at {base}: give the run id `submit --kfp` printed (the last part of the run's URL in the UI)"
        );
    };
    let state = run.state.to_lowercase();
    match run.outcome {
        Outcome::Failed | Outcome::Error => {}
        // KFP never reports these for a run: it decides.
        Outcome::Running if matches!(run.state.as_str(), "" | "RUNTIME_STATE_UNSPECIFIED") => {}
        Outcome::Running => anyhow::bail!(
            "cannot retry run {id}: it is {state}, and only a failed or terminated run is retried; wait for it to end, or terminate it first"
        ),
        Outcome::Succeeded => anyhow::bail!(
            "cannot retry run {id}: it {state}, so nothing failed; submit the pipeline again to run it anew"
        ),
    }
    let logs = log_source(opts, id, true).await;
    if let Some(sig) = signals.pending() {
        return Ok(End::Interrupted(sig));
    }
    // KFP stores the run's state as the retried workflow's (running)
    // before it answers (2.0 to 2.17): the follow does not see the old end.
    api.retry(id).await?;
    eprintln!("Retrying run {id}: {base}/#/runs/details/{id}");
    follow_run(api, id, opts, signals, logs).await
}

/// Where `--logs` streams from: the cluster's client and the run's pods
/// (those there are now left out for a retry); none, with a warning, when
/// there is no Kubernetes configuration.
async fn log_source(opts: &KfpOptions, run: &str, retry: bool) -> Option<(kube::Client, Pods)> {
    let l = opts.logs.as_ref()?;
    match cluster().await {
        Ok(client) => {
            let mut pods = Pods::kfp_run(&l.namespace, run);
            if retry {
                pods = pods.after_existing(&client).await;
            }
            Some((client, pods))
        }
        Err(e) => {
            eprintln!("warning: --logs: {e:#}; showing the steps' phases only");
            None
        }
    }
}

/// What follows a created or retried run: terminates it if a signal came
/// meanwhile; without `wait`, prints its id; else follows it to the end,
/// streaming `logs`.
async fn follow_run(
    api: &Kfp,
    run: &str,
    opts: &KfpOptions,
    signals: &mut Signals,
    logs: Option<(kube::Client, Pods)>,
) -> anyhow::Result<End> {
    let target = Run { api, id: run };
    if let Some(end) = wait::interrupted_while_creating(signals, &target).await {
        return Ok(end);
    }
    if !opts.wait {
        println!("{run}");
        return Ok(End::Submitted);
    }
    let (stop_logs, stopped) = tokio::sync::watch::channel(false);
    let poll = opts.logs.as_ref().map_or(opts.poll, |l| l.poll);
    let streaming =
        logs.map(|(client, pods)| tokio::spawn(logs::stream(client, pods, poll, stopped)));
    let mut progress = Progress::default();
    let end = wait::until_end(
        follow(api, run, opts.poll, &mut progress),
        signals,
        opts.timeout,
        &target,
    )
    .await;
    let _ = stop_logs.send(true);
    if let Some(task) = streaming {
        let _ = task.await;
    }
    progress.summary();
    end
}

/// A client for the cluster KFP runs on (kubeconfig or in-cluster).
async fn cluster() -> anyhow::Result<kube::Client> {
    use anyhow::Context as _;
    crate::tls::install_crypto_provider();
    let config = kube::Config::infer()
        .await
        .context("the pods' logs need the Kubernetes API, and there is no Kubernetes configuration (in-cluster, or KUBECONFIG)")?;
    let cluster = config.cluster_url.to_string();
    kube::Client::try_from(config).with_context(|| format!("cannot set up a client for {cluster}"))
}

/// Finds the pipeline by name or uploads it; then the version for this
/// package. Returns (pipeline id, version id).
async fn pipeline_version(
    api: &Kfp,
    what: &Submission,
    ns: Option<&str>,
) -> anyhow::Result<(String, String)> {
    let name = &what.pipeline;
    let digest = format!("{:x}", Sha256::digest(what.yaml.as_bytes()));
    let version = format!("{name}-{}", &digest[..12]);
    let file_name = format!("{name}.yaml");
    let package = Package {
        pipeline: name,
        file_name: &file_name,
        yaml: &what.yaml,
    };
    let pipeline = match api.find_pipeline(name, ns).await? {
        Some(id) => id,
        None => match api.upload_pipeline(name, ns, package).await {
            Ok((id, version)) => {
                eprintln!("Uploaded pipeline {name} ({id})");
                return Ok((id, version));
            }
            // Another job uploaded it in the meantime: use theirs.
            Err(e) if conflict(&e) => api.find_pipeline(name, ns).await?.ok_or(e)?,
            Err(e) => return Err(e),
        },
    };
    if let Some(id) = api.find_version(&pipeline, &version).await? {
        eprintln!("Pipeline {name} already has version {version} ({id})");
        return Ok((pipeline, id));
    }
    let id = match api.upload_version(&pipeline, &version, ns, package).await {
        Ok(id) => id,
        // Another job uploaded the same version in the meantime.
        Err(e) if conflict(&e) => api.find_version(&pipeline, &version).await?.ok_or(e)?,
        Err(e) => return Err(e),
    };
    eprintln!("Uploaded version {version} of pipeline {name} ({id})");
    Ok((pipeline, id))
}

/// Finds the experiment by name (in the namespace) or creates it.
async fn experiment(api: &Kfp, name: &str, ns: Option<&str>) -> anyhow::Result<String> {
    if let Some(id) = api.find_experiment(name, ns).await? {
        return Ok(id);
    }
    let id = api.create_experiment(name, ns).await?;
    eprintln!("Created experiment {name} ({id})");
    Ok(id)
}

/// The run name: `test-<pr>-<commit>`, else `<pipeline>-<unix seconds>`.
fn run_name(what: &Submission) -> String {
    what.run_name.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("{}-{secs}", what.pipeline)
    })
}
