//! `kpipe prow`: the Prow jobs that run a pipeline from CI, and the
//! plugins.yaml entry of the bot.
//!
//! The original ran shell scripts that cloned the repository, applied the
//! PR's patch and called `make pipeline-run`; here each job is one
//! `kpipe submit` process (which follows the workflow, streams its logs,
//! exits with its result and stops it when Prow aborts the job):
//!
//! - presubmit (`always_run`): the pipeline for the PR head, without commit
//!   or rollout (the pipeline skips those when `pr` is set);
//! - postsubmit on the main branch: the full pipeline, unless the commit
//!   message carries `[skip]` (the data commits the pipeline itself pushes);
//! - periodic every 24 h: the full pipeline (the daily data update).
//!
//! A job run again (`/retest`) submits a new workflow, as any job run does;
//! `kpipe retry` (which `kpipe prow --help` names) runs a failed run's
//! failed steps again, by hand.

use serde_json::{Value, json};

/// Marker of commits the postsubmit skips (the data commits' message).
pub(crate) const SKIP_MARKER: &str = "[skip]";

/// What the jobs run and where.
#[derive(Clone, Debug)]
pub(crate) struct ProwOptions {
    /// The program the jobs run (the app's binary, e.g. `kpipe`).
    pub(crate) program: String,
    /// Pipeline name (as for `submit`).
    pub(crate) pipeline: String,
    /// The pipeline's parameters: the jobs pass `pr` and `commit` to a
    /// pipeline that declares them.
    pub(crate) params: Vec<String>,
    /// Namespace of Argo workflows when `namespace` is unset.
    pub(crate) default_namespace: String,
    /// `org/repo` whose PRs and pushes trigger the jobs.
    pub(crate) repo: String,
    /// Image with `kpipe` (and, for the postsubmit, `sh` and `git`).
    pub(crate) image: String,
    /// Namespace of the workflows (Argo; kpipe submit's default when
    /// unset), or the Kubeflow profile namespace with `kfp` (multi-user
    /// installs only: a single-user KFP refuses namespaced requests).
    pub(crate) namespace: Option<String>,
    /// Service account of the job pods (allowed to create and watch workflows).
    pub(crate) service_account: String,
    /// Branch of postsubmits.
    pub(crate) branch: String,
    /// Interval of the periodic.
    pub(crate) interval: String,
    /// Submit to this Kubeflow Pipelines API instead of Argo.
    pub(crate) kfp: Option<String>,
    /// Which KFP REST API the jobs use with `kfp` (unset: `submit`'s
    /// default, v2beta1).
    pub(crate) kfp_api: Option<KfpApi>,
}

/// The Kubeflow Pipelines REST API a submission uses (`kpipe submit
/// --kfp-api`). Defined here, beside the Prow jobs that pass it on, so that
/// builds without the `submit` feature can write it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum KfpApi {
    /// v1beta1 with the compiled Argo Workflow (KFP 1.x and 2.x).
    V1,
    /// v2beta1 with the compiled KFP v2 IR (KFP 2.x).
    #[default]
    V2,
}

impl KfpApi {
    /// `v1` or `v2`, as `--kfp-api` takes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KfpApi::V1 => "v1",
            KfpApi::V2 => "v2",
        }
    }
}

impl ProwOptions {
    /// Job names: `<pipeline>-test`, `<pipeline>`, `<pipeline>-periodic`.
    pub(crate) fn job_name(&self, suffix: &str) -> String {
        if suffix.is_empty() {
            self.pipeline.clone()
        } else {
            format!("{}-{suffix}", self.pipeline)
        }
    }

    /// `-p NAME=VALUE` for each of `params` the pipeline declares.
    fn params(&self, params: &[(&str, &str)]) -> Vec<String> {
        params
            .iter()
            .filter(|(name, _)| self.params.iter().any(|p| p == name))
            .flat_map(|(name, value)| ["-p".to_owned(), format!("{name}={value}")])
            .collect()
    }

    /// `submit …` up to (not including) the parameters.
    fn submit(&self) -> Vec<String> {
        let mut args = vec!["submit".to_owned(), self.pipeline.clone()];
        let namespace = match &self.kfp {
            Some(url) => {
                args.push(format!("--kfp={url}"));
                if let Some(api) = self.kfp_api {
                    args.push(format!("--kfp-api={}", api.as_str()));
                }
                self.namespace.clone()
            }
            None => Some(
                self.namespace
                    .clone()
                    .unwrap_or_else(|| self.default_namespace.clone()),
            ),
        };
        if let Some(ns) = namespace {
            args.push(format!("--namespace={ns}"));
        }
        args.extend(["--wait".to_owned(), "--logs".to_owned()]);
        args
    }

    fn pod(&self, command: Vec<String>, args: Vec<String>) -> Value {
        json!({
            "serviceAccountName": self.service_account,
            "containers": [{
                "image": self.image,
                "command": command,
                "args": args,
            }],
        })
    }
}

/// Validates the options: `org/repo`, a branch and an interval Prow reads.
pub(crate) fn check(opts: &ProwOptions) -> anyhow::Result<()> {
    let mut parts = opts.repo.split('/');
    let ok_repo = matches!((parts.next(), parts.next(), parts.next()), (Some(o), Some(r), None) if !o.is_empty() && !r.is_empty());
    if !ok_repo {
        anyhow::bail!(
            "--repo must be ORG/REPO (e.g. kubernetes/kubernetes), got `{}`",
            opts.repo
        );
    }
    if opts.image.trim().is_empty() {
        anyhow::bail!("--image must name the image that contains {}", opts.program);
    }
    let valid_name = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    if !valid_name(&opts.pipeline) {
        anyhow::bail!(
            "pipeline `{}` cannot name a Prow job (allowed: A-Z a-z 0-9 - . _)",
            opts.pipeline
        );
    }
    let units = opts
        .interval
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if opts.interval.is_empty() || units.is_empty() || !["h", "m", "s"].contains(&units) {
        anyhow::bail!(
            "--interval must be a Go duration such as 24h, 90m or 3600s, got `{}`",
            opts.interval
        );
    }
    Ok(())
}

/// The job config: `presubmits`, `postsubmits` and `periodics`.
pub(crate) fn jobs(opts: &ProwOptions) -> Value {
    let mut presubmit = opts.submit();
    presubmit.extend(opts.params(&[("pr", "$(PULL_NUMBER)"), ("commit", "$(PULL_PULL_SHA)")]));
    // Prow clones the pushed commit (decorate: true) so the script can read
    // its message; `exec` hands SIGTERM on an abort straight to the program.
    let mut submit = vec![opts.program.clone()];
    submit.extend(opts.submit());
    submit.extend(opts.params(&[("commit", "\"$PULL_BASE_SHA\"")]));
    let script = format!(
        "set -eu\nif git log -1 --format=%B | grep -qF '{SKIP_MARKER}'; then\n  echo 'commit message contains {SKIP_MARKER}: not running {}'\n  exit 0\nfi\nexec {}\n",
        opts.pipeline,
        submit.join(" ")
    );
    json!({
        "presubmits": {
            opts.repo.clone(): [{
                "name": opts.job_name("test"),
                "always_run": true,
                "decorate": false,
                "spec": opts.pod(vec![opts.program.clone()], presubmit),
            }],
        },
        "postsubmits": {
            opts.repo.clone(): [{
                "name": opts.job_name(""),
                "branches": [format!("^{}$", regex_escape(&opts.branch))],
                "decorate": true,
                "max_concurrency": 1,
                "spec": opts.pod(vec!["/bin/sh".to_owned(), "-c".to_owned()], vec![script]),
            }],
        },
        "periodics": [{
            "name": opts.job_name("periodic"),
            "interval": opts.interval,
            "decorate": false,
            "spec": opts.pod(vec![opts.program.clone()], opts.submit()),
        }],
    })
}

/// The plugins.yaml entries: the trigger plugin (which runs the jobs),
/// enabled and configured for the repository, and, given its endpoint, the
/// pipeline's bot as an external plugin for issues and pull_request events.
pub(crate) fn plugins(opts: &ProwOptions, bot_endpoint: Option<&str>) -> Value {
    let mut doc = json!({
        "plugins": {opts.repo.clone(): {"plugins": ["trigger"]}},
        "triggers": [{"repos": [opts.repo]}],
    });
    if let Some(endpoint) = bot_endpoint {
        doc["external_plugins"] = json!({
            opts.repo.clone(): [{
                "name": format!("{}-bot", opts.pipeline),
                "endpoint": endpoint,
                "events": ["issues", "pull_request"],
            }],
        });
    }
    doc
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ProwOptions {
        ProwOptions {
            program: "kpipe".into(),
            pipeline: "kubernetes-analysis".into(),
            params: vec!["pr".into(), "commit".into()],
            default_namespace: "kubeflow".into(),
            repo: "kpipe/kubernetes-analysis".into(),
            image: "ghcr.io/kpipe/kpipe-step:0.1.0".into(),
            namespace: None,
            service_account: "kpipe".into(),
            branch: "master".into(),
            interval: "24h".into(),
            kfp: None,
            kfp_api: None,
        }
    }

    #[test]
    fn options_are_checked() {
        assert!(check(&opts()).is_ok());
        for (repo, interval) in [
            ("nope", "24h"),
            ("a/b/c", "24h"),
            ("a/b", "daily"),
            ("a/b", ""),
        ] {
            let o = ProwOptions {
                repo: repo.into(),
                interval: interval.into(),
                ..opts()
            };
            assert!(check(&o).is_err(), "{repo} {interval}");
        }
    }

    #[test]
    fn postsubmit_skips_marked_commits_and_execs_kpipe() {
        let v = jobs(&opts());
        let job = &v["postsubmits"]["kpipe/kubernetes-analysis"][0];
        assert_eq!(job["branches"][0], "^master$");
        let script = job["spec"]["containers"][0]["args"][0]
            .as_str()
            .unwrap_or_default();
        assert!(script.contains("grep -qF '[skip]'"), "{script}");
        assert!(
            script.contains("exec kpipe submit kubernetes-analysis --namespace=kubeflow --wait --logs -p commit=\"$PULL_BASE_SHA\""),
            "{script}"
        );
        assert_eq!(regex_escape("release-1.2"), "release-1\\.2");
    }

    #[test]
    fn only_declared_parameters_are_passed() {
        let plain = ProwOptions {
            program: "fraud".into(),
            pipeline: "fraud".into(),
            params: vec!["day".into()],
            ..opts()
        };
        let v = jobs(&plain);
        let pre = v["presubmits"]["kpipe/kubernetes-analysis"][0]["spec"]["containers"][0].clone();
        assert_eq!(pre["command"][0], "fraud");
        assert_eq!(
            pre["args"],
            serde_json::json!([
                "submit",
                "fraud",
                "--namespace=kubeflow",
                "--wait",
                "--logs"
            ])
        );
        let with_pr = jobs(&opts());
        let args =
            &with_pr["presubmits"]["kpipe/kubernetes-analysis"][0]["spec"]["containers"][0]["args"];
        assert_eq!(args[5], "-p");
        assert_eq!(args[6], "pr=$(PULL_NUMBER)");
        assert_eq!(args[8], "commit=$(PULL_PULL_SHA)");
        assert!(plugins(&plain, None).get("external_plugins").is_none());
    }

    #[test]
    fn namespaces_go_to_argo_always_and_to_kfp_when_given() {
        let args = |o: &ProwOptions| {
            jobs(o)["periodics"][0]["spec"]["containers"][0]["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
        };
        assert_eq!(
            args(&opts()),
            "submit kubernetes-analysis --namespace=kubeflow --wait --logs"
        );
        let kfp = ProwOptions {
            kfp: Some("http://ml-pipeline.kubeflow:8888".into()),
            ..opts()
        };
        assert_eq!(
            args(&kfp),
            "submit kubernetes-analysis --kfp=http://ml-pipeline.kubeflow:8888 --wait --logs"
        );
        let profile = ProwOptions {
            namespace: Some("team-ml".into()),
            ..kfp.clone()
        };
        assert!(
            args(&profile).contains("--kfp=http://ml-pipeline.kubeflow:8888 --namespace=team-ml")
        );
        for api in [KfpApi::V1, KfpApi::V2] {
            let chosen = ProwOptions {
                kfp_api: Some(api),
                ..kfp.clone()
            };
            assert_eq!(
                args(&chosen),
                format!(
                    "submit kubernetes-analysis --kfp=http://ml-pipeline.kubeflow:8888 --kfp-api={} --wait --logs",
                    api.as_str()
                )
            );
        }
        // The API choice goes with --kfp only.
        let argo = ProwOptions {
            kfp_api: Some(KfpApi::V1),
            ..opts()
        };
        assert!(!args(&argo).contains("--kfp-api"), "{}", args(&argo));
    }
}
