//! The kubernetes-analysis pipeline: export kubernetes/kubernetes issues and
//! pull requests, chart them, train the `kind/bug` release-note classifier,
//! test it, build the serving image, commit the refreshed data and roll the
//! model out as a KServe canary.
//!
//! Same graph as the original project's compiled pipeline:
//!
//! ```text
//! checkout → update-api → update-data ─┬→ update-assets ───────────────┐
//!                                      └→ train → predict-test          │
//!                                           └──→ build-image → commit-changes → rollout
//! ```
//!
//! `commit-changes` and `rollout` run only on master (`pr` empty): a
//! presubmit tests everything up to the image without committing or rolling
//! out.
//!
//! One pipeline runs everywhere. What differs between a cluster and a
//! laptop is the pipeline's own input: the parameters `repo`, `offline`,
//! `push`, `dry-run` and `device`, and the secrets (optional volumes: a
//! secret that is not there is an empty directory). A local run binds them
//! from `local.yaml` next to this file, and [`entry`]'s preparation
//! creates the local data repository it checks out.

use std::time::Duration;

use kpipe::{
    ConcurrencyPolicy, Entry, LocalEnv, LocalPrep, Pipeline, PodGc, Retry, RetryPolicy,
    STEP_PROGRAM, Schedule, TaintEffect, Toleration, Ttl, Value, Volume,
};
use kpipe_step_contract::{
    Analyze, BuildImage, Checkout, CommitChanges, GITHUB_API, PredictTest, Rollout, SecretPaths,
    Train, UpdateApi, UpdateData,
};

/// The pipeline's name.
pub const NAME: &str = "kubernetes-analysis";
/// One-line summary.
pub const SUMMARY: &str = "export kubernetes/kubernetes issues and PRs, chart them, train and roll out the kind/bug classifier";
/// The data repository the pipeline checks out and commits to.
pub const DATA_REPO: &str = "git@github.com:kpipe/kubernetes-analysis-data.git";
/// The GitHub repository whose issues and pull requests are analysed.
pub const GITHUB_REPO: &str = "kubernetes/kubernetes";
/// The image every step runs (`kpipe-step`), see the repository's Containerfile.
pub const STEP_IMAGE: &str = concat!("ghcr.io/kpipe/kpipe-step:", env!("CARGO_PKG_VERSION"));
/// Repository of the serving image `build-image` produces.
pub const SERVING_IMAGE: &str = "ghcr.io/kpipe/kubernetes-analysis-serving";
/// The KServe InferenceService `rollout` updates.
pub const INFERENCE_SERVICE: &str = "kubernetes-analysis";
/// Its namespace.
pub const NAMESPACE: &str = "kubeflow";

/// The endpoint of the Prow external plugin that labels PRs (`kpipe-step bot`).
pub const BOT_ENDPOINT: &str = "http://kubernetes-analysis-bot.prow.svc.cluster.local/hook";

/// The pipeline as the `kpipe` binary registers it: a local run binds the
/// parameters in `local.yaml`, and first creates the local data repository
/// and passes it as `repo` and its HEAD as `commit`.
pub fn entry() -> Entry {
    Entry::new(NAME, SUMMARY, pipeline)
        .local_profile(include_str!("local.yaml"))
        .prepare_local(|env| {
            let repo = crate::local_data::prepare_data_repo(&env.workdir)?;
            let sha = crate::local_data::head(&repo)?;
            eprintln!(
                "repo = {}, commit = {sha} (the local data repository and its HEAD; override with -p)",
                repo.display()
            );
            Ok(LocalPrep::new()
                .param("repo", repo.display().to_string())
                .param("commit", sha)
                .share(repo))
        })
        .prow_bot(BOT_ENDPOINT)
}

/// The data repository a local run checks out (created by [`entry`]'s
/// local preparation).
pub fn local_repo(env: &LocalEnv) -> std::path::PathBuf {
    env.workdir.join("data-repo")
}

/// Builds the pipeline.
pub fn pipeline() -> Pipeline {
    let secrets = SecretPaths::default();
    let p = Pipeline::new(NAME);
    // Every step runs the kpipe-step binary (its image's entrypoint).
    p.step_program([STEP_PROGRAM]);
    p.display_name("Kubernetes Analysis")
        .description(
            "Exports all issues and pull requests of kubernetes/kubernetes, charts them, trains \
             a classifier predicting kind/bug from a PR's release note, tests it, builds the \
             serving image, commits the refreshed data and rolls the model out as a KServe canary.",
        )
        .image(STEP_IMAGE)
        .service_account("pipeline-runner")
        .pod_gc(PodGc::OnPodSuccess)
        .ttl(Ttl::after_completion(7 * 24 * 3600))
        .schedule(Schedule::cron("0 3 * * *").concurrency(ConcurrencyPolicy::Forbid));
    let pr = p.string_param("pr", "");
    let commit = p.string_param("commit", "");
    let repo = p.string_param("repo", DATA_REPO);
    let offline = p.bool_param("offline", false);
    let push = p.bool_param("push", true);
    let dry_run = p.bool_param("dry-run", false);
    let device = p.string_param("device", "auto");
    p.volume(Volume::secret("github-token", "github-token").optional())
        .volume(Volume::secret("registry", "registry-auth").optional())
        .volume(
            Volume::secret("ssh-key", "ssh-key")
                .default_mode(0o400)
                .optional(),
        );

    let mut checkout = Checkout::new(&repo);
    checkout.pr = Value::from(&pr);
    checkout.ssh_key = Some(secrets.ssh_key());
    // checkout and update-api read the world (the branch's head, GitHub's
    // issues), not just their inputs: never served from a cache (KFP's, or a
    // local run's), so every run sees what is new.
    let checkout = p
        .add(checkout)
        .cache(false)
        .mount("ssh-key", secrets.ssh.display().to_string());

    let api = p
        .add(UpdateApi {
            checkout: &checkout.out.repo,
            github_repo: GITHUB_REPO.to_owned(),
            api_url: GITHUB_API.to_owned(),
            token_file: Some(secrets.github_token()),
            full: false,
            offline: Value::from(&offline),
        })
        .cache(false)
        .retry(Retry::limit(3).policy(RetryPolicy::Always).backoff(
            Duration::from_secs(60),
            2,
            Some(Duration::from_secs(30 * 60)),
        ))
        .timeout_seconds(12 * 3600)
        .mount("github-token", secrets.github.display().to_string());

    let data = p
        .add(UpdateData {
            store: &api.out.store,
        })
        .memory("1Gi");

    let assets = p.add(Analyze {
        dataset: &data.out.dataset,
    });

    let train = p
        .add(Train {
            dataset: &data.out.dataset,
            seed: 42,
            device: Value::from(&device),
        })
        .cpu("2")
        .memory("2Gi")
        .timeout_seconds(2 * 3600)
        .gpus(1)
        .toleration(Toleration::exists("nvidia.com/gpu").effect(TaintEffect::NoSchedule));

    // Decides at the threshold train stored with the model, as serve and
    // the bot do.
    let test = p.add(PredictTest {
        model: &train.out.model,
        threshold: None,
    });

    let image = p
        .add(BuildImage {
            model: &train.out.model,
            image: SERVING_IMAGE.to_owned(),
            tags: vec![Value::from(&commit)],
            pr: Value::from(&pr),
            push: Value::from(&push),
            registry_auth: Some(secrets.registry_auth()),
            // (the binary that runs the step: /usr/local/bin/kpipe-step in
            // the step image)
            base_binary: None,
        })
        .after(&test)
        .mount("registry", secrets.registry.display().to_string())
        .retry(Retry::limit(2).policy(RetryPolicy::OnError));

    let commit_changes = p
        .add(CommitChanges {
            repo: &checkout.out.repo,
            api_store: &api.out.store,
            dataset: &data.out.dataset,
            assets: &assets.out.assets,
            model: &train.out.model,
            push: Value::from(&push),
            ssh_key: Some(secrets.ssh_key()),
        })
        .after(&image)
        .when(pr.is_empty())
        .mount("ssh-key", secrets.ssh.display().to_string());

    p.add(Rollout {
        image: Value::concat([
            Value::from(format!("{SERVING_IMAGE}:")),
            Value::from(&commit),
        ]),
        name: INFERENCE_SERVICE.to_owned(),
        namespace: NAMESPACE.to_owned(),
        canary_percent: 50,
        dry_run: Value::from(&dry_run),
    })
    .after(&commit_changes)
    .when(pr.is_empty());
    p
}
