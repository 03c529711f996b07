//! `kpipe submit`: send a compiled Workflow to a cluster and follow it.
//!
//! Two targets share this module's preparation (which Workflow, which
//! parameters, which name) and its [`End`]: Argo itself through the
//! Kubernetes API ([`argo`]) and Kubeflow Pipelines through its REST API
//! ([`kfp`]).

pub mod argo;
pub mod kfp;
mod signal;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use kpipe_compiler::lint::{self, SchemaVersion};
use kpipe_compiler::{CompileError, CompileOptions};
use serde_json::Value;

use crate::{App, Profile};

pub use signal::Interrupt;

/// How a submission ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Created; not waited for.
    Submitted,
    /// The workflow (run) succeeded.
    Succeeded,
    /// A step failed (Argo phase `Failed`, KFP status `Failed`).
    Failed(String),
    /// The workflow could not run (Argo phase `Error`: invalid spec, pod
    /// creation refused, controller errors).
    Error(String),
    /// The workflow vanished or could not be followed any more (deleted
    /// while waiting, `--timeout` expired).
    Lost(String),
    /// SIGINT/SIGTERM: the workflow was asked to stop.
    Interrupted(Interrupt),
}

impl End {
    /// The process exit code for this end (documented in `kpipe submit --help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            End::Submitted | End::Succeeded => 0,
            End::Failed(_) => 1,
            End::Error(_) => 3,
            End::Lost(_) => 4,
            End::Interrupted(Interrupt::Int) => 130,
            End::Interrupted(Interrupt::Term) => 143,
        }
    }
}

/// A Workflow ready to send.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The pipeline's name (the registry name, or the file's `generateName`
    /// without its trailing dash).
    pub pipeline: String,
    /// The Workflow object, parameters set (what Argo gets).
    pub workflow: Value,
    /// The Workflow as YAML with its declared parameter defaults (what KFP
    /// stores as a pipeline version; the run carries the values).
    pub yaml: String,
    /// `test-<pr>-<commit>` when both parameters are set.
    pub run_name: Option<String>,
    /// The parameters given with `-p`, in order.
    pub params: Vec<(String, String)>,
}

/// Compiles a registered pipeline, or reads `target` when it names a file,
/// checks it offline, and sets the parameters.
pub fn prepare(
    app: &App,
    target: Option<&str>,
    image: Option<String>,
    params: &[(String, String)],
) -> anyhow::Result<Prepared> {
    let (pipeline, yaml) = match target {
        Some(t) if Path::new(t).is_file() || t.ends_with(".yaml") || t.ends_with(".yml") => {
            if image.is_some() {
                bail!("--image applies to pipelines compiled by kpipe, not to the file {t}");
            }
            let text = std::fs::read_to_string(t).with_context(|| format!("cannot read {t}"))?;
            (None, text)
        }
        _ => {
            let entry = app.registry.lookup(target)?;
            let options = CompileOptions {
                image,
                ..CompileOptions::default()
            };
            match app.build(entry, &Profile::Cluster).compile(&options) {
                Ok(yaml) => (Some(entry.name.clone()), yaml),
                Err(CompileError::Invalid(d)) => bail!("{} does not compile:\n{d}", entry.name),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let source = target
        .or(pipeline.as_deref())
        .unwrap_or("the pipeline")
        .to_owned();
    let source = source.as_str();
    let mut workflow = lint::parse_yaml(&yaml).map_err(|e| {
        let at = e.line.map_or_else(String::new, |l| format!(":{l}"));
        anyhow::anyhow!("{source}{at}: not valid YAML: {}", e.message)
    })?;
    check(source, &workflow)?;
    let pipeline = match pipeline {
        Some(p) => p,
        None => workflow_base_name(&workflow),
    };
    // KFP stores the Workflow with its declared defaults (one pipeline
    // version per distinct pipeline, not per PR); runs carry the values.
    let yaml = kpipe_compiler::to_yaml(&workflow)
        .map_err(|e| anyhow::anyhow!("cannot serialise the Workflow: {e}"))?;
    set_params(source, &mut workflow, params)?;
    let run_name = run_name(params);
    Ok(Prepared {
        pipeline,
        workflow,
        yaml,
        run_name,
        params: params.to_vec(),
    })
}

/// Offline check before anything is sent: a Workflow that passes the schema
/// of at least one supported Argo version and kpipe's graph rules.
fn check(source: &str, doc: &Value) -> anyhow::Result<()> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "Workflow" {
        bail!(
            "{source}: is a {}, submit sends a Workflow (compile with --kind workflow)",
            if kind.is_empty() {
                "document without kind"
            } else {
                kind
            }
        );
    }
    let mut newest = Vec::new();
    for version in SchemaVersion::ALL {
        let problems = lint::lint_value(doc, version);
        if problems.is_empty() {
            return Ok(());
        }
        newest = problems;
    }
    let mut text = String::new();
    for p in &newest {
        let _ = writeln!(text, "  {p}");
    }
    bail!(
        "{source}: not sent, the Workflow does not pass `kpipe lint` ({} problem{} against Argo {}):\n{}",
        newest.len(),
        if newest.len() == 1 { "" } else { "s" },
        SchemaVersion::ALL.last().map_or("", |v| v.as_str()),
        text.trim_end()
    )
}

fn workflow_base_name(doc: &Value) -> String {
    let meta = &doc["metadata"];
    meta["name"]
        .as_str()
        .or_else(|| meta["generateName"].as_str())
        .map(|n| n.trim_end_matches('-').to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "pipeline".to_owned())
}

/// Sets `spec.arguments.parameters[name].value` for every `-p name=value`.
fn set_params(source: &str, doc: &mut Value, params: &[(String, String)]) -> anyhow::Result<()> {
    let declared = doc
        .pointer_mut("/spec/arguments/parameters")
        .and_then(Value::as_array_mut);
    let Some(declared) = declared else {
        if let Some((name, _)) = params.first() {
            bail!("{source}: the Workflow declares no parameters, so -p {name}=… cannot be set");
        }
        return Ok(());
    };
    for (name, value) in params {
        let slot = declared
            .iter_mut()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str()));
        match slot {
            Some(p) => {
                p["value"] = Value::String(value.clone());
            }
            None => {
                let known: Vec<&str> = declared
                    .iter()
                    .filter_map(|p| p.get("name").and_then(Value::as_str))
                    .collect();
                bail!(
                    "{source}: unknown parameter `{name}`; the Workflow declares: {}",
                    known.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// `test-<pr>-<commit>` (the original's run names) when `pr` and `commit`
/// are both set and non-empty, as a DNS-1123 label of at most 57 characters
/// (room for Argo's random `generateName` suffix inside a 63-character label).
pub fn run_name(params: &[(String, String)]) -> Option<String> {
    let get = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let raw = format!("test-{}-{}", get("pr")?, get("commit")?);
    let mut name = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.truncate(57);
    Some(name.trim_end_matches('-').to_owned())
}

/// `KPIPE_POLL_MS` (tests) or the default poll interval.
pub(crate) fn poll_interval(default: Duration) -> Duration {
    std::env::var("KPIPE_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(default, Duration::from_millis)
}

/// Installs ring as rustls' process-wide crypto provider.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn run_names_follow_the_original() {
        assert_eq!(
            run_name(&p(&[("pr", "123"), ("commit", "ABCdef0")])).as_deref(),
            Some("test-123-abcdef0")
        );
        assert_eq!(run_name(&p(&[("pr", "123")])), None);
        assert_eq!(run_name(&p(&[("pr", ""), ("commit", "abc")])), None);
        let long = run_name(&p(&[("pr", "1"), ("commit", &"f".repeat(80))]));
        assert_eq!(long.as_ref().map(String::len), Some(57));
        assert_eq!(
            run_name(&p(&[("pr", "7/x"), ("commit", "a_b")])).as_deref(),
            Some("test-7-x-a-b")
        );
    }

    fn app() -> App {
        App::new("t").pipeline("ci", "a pipeline Prow runs", || {
            let p = crate::Pipeline::new("ci");
            p.image("alpine:3.20");
            let pr = p.string_param("pr", "");
            let commit = p.string_param("commit", "");
            p.add(
                crate::ContainerStep::new("show", ["echo"])
                    .arg(&pr)
                    .arg(&commit),
            );
            p
        })
    }

    #[test]
    fn parameters_are_set_and_unknown_ones_named() {
        let app = app();
        let prepared = prepare(&app, None, None, &p(&[("pr", "42"), ("commit", "abc")]))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(prepared.pipeline, "ci");
        assert_eq!(prepared.run_name.as_deref(), Some("test-42-abc"));
        let params = &prepared.workflow["spec"]["arguments"]["parameters"];
        assert_eq!(params[0]["value"], "42");
        assert_eq!(params[1]["value"], "abc");
        let err = prepare(&app, None, None, &p(&[("nope", "1")]))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("unknown parameter `nope`"), "{err}");
        assert!(err.contains("pr, commit"), "{err}");
    }

    #[test]
    fn files_are_linted_before_sending() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bad = dir.path().join("bad.yaml");
        std::fs::write(
            &bad,
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\nspec:\n  entrypoint: missing\n  templates:\n  - name: a\n    container:\n      image: alpine\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let err = prepare(&app(), bad.to_str(), None, &[])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("does not pass `kpipe lint`"), "{err}");
        assert!(err.contains("missing"), "{err}");

        let cron = dir.path().join("cron.yaml");
        std::fs::write(
            &cron,
            "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let err = prepare(&app(), cron.to_str(), None, &[])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("is a CronWorkflow"), "{err}");
    }
}
