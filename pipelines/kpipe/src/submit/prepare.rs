//! What `kpipe submit` sends to Argo and to KFP's v1beta1 API: the Workflow
//! of a registered pipeline (compiled here) or of a file, checked offline
//! and with its parameters set.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use kpipe_compiler::ir::bind::{Bound, ParamSpec};
use kpipe_compiler::lint::{self, Format, SchemaVersion};
use kpipe_compiler::{CompileOptions, Kind};
use serde_json::Value;

use crate::App;
use crate::params::bind_params;
use crate::registry::Entry;

/// A Workflow ready to send.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// The pipeline's name (the registry name, or the file's `generateName`
    /// without its trailing dash).
    pub(crate) pipeline: String,
    /// The Workflow object, parameters set (what Argo gets).
    pub(crate) workflow: Value,
    /// The Workflow as YAML with its declared parameter defaults (what KFP
    /// stores as a pipeline version; the run carries the values).
    pub(crate) yaml: String,
    /// `test-<pr>-<commit>` when both parameters are set.
    pub(crate) run_name: Option<String>,
    /// The parameters given with `-p`, in order.
    pub(crate) params: Vec<(String, String)>,
}

/// Where a submission's pipeline comes from.
pub(crate) enum Source<'a> {
    /// A pipeline the app registers (compiled here).
    Registered(&'a Entry),
    /// A compiled file: its path as given and its text.
    File { path: String, text: String },
}

/// `target` names a file when one exists there or it ends in `.yaml`/`.yml`;
/// otherwise a registered pipeline (the default one when `None`).
pub(crate) fn source<'a>(
    app: &'a App,
    target: Option<&str>,
    image: Option<&str>,
) -> anyhow::Result<Source<'a>> {
    match target {
        Some(t) if Path::new(t).is_file() || t.ends_with(".yaml") || t.ends_with(".yml") => {
            if image.is_some() {
                bail!("--image applies to pipelines compiled by kpipe, not to the file {t}");
            }
            let text = std::fs::read_to_string(t).with_context(|| format!("cannot read {t}"))?;
            Ok(Source::File {
                path: t.to_owned(),
                text,
            })
        }
        _ => Ok(Source::Registered(app.registry.lookup(target)?)),
    }
}

/// Compiles a registered pipeline, or reads `target` when it names a file,
/// checks it offline, and binds the parameters (the same binder, and the
/// same errors, as `run --local`).
pub(crate) fn prepare(
    app: &App,
    target: Option<&str>,
    image: Option<String>,
    params: &[(String, String)],
) -> anyhow::Result<Prepared> {
    let (pipeline, source, mut workflow, yaml, specs) = match source(app, target, image.as_deref())?
    {
        Source::File { path, text } => {
            if lint::format_of(&text) == Format::KfpIr {
                bail!(
                    "{path}: is Kubeflow Pipelines v2 IR, which only KFP's v2beta1 API runs: submit it with --kfp URL (and without --kfp-api v1)"
                );
            }
            let workflow = lint::parse_yaml(&text).map_err(|e| {
                let at = e.line.map_or_else(String::new, |l| format!(":{l}"));
                anyhow::anyhow!("{path}{at}: not valid YAML: {}", e.message)
            })?;
            check(&path, &workflow)?;
            let specs = declared(&workflow);
            // (the file as given: KFP stores its declared defaults)
            (workflow_base_name(&workflow), path, workflow, text, specs)
        }
        Source::Registered(entry) => {
            let options = CompileOptions {
                image,
                ..CompileOptions::default()
            };
            let p = app.build(entry);
            // The typed manifest: sent as JSON, stored by KFP as YAML; no
            // text is read back.
            let manifest = match p.lower(&options) {
                Ok(m) => m,
                Err(d) => bail!("{} does not compile:\n{d}", entry.name),
            };
            let workflow = serde_json::to_value(&manifest)
                .map_err(|e| anyhow::anyhow!("cannot serialise the Workflow: {e}"))?;
            let yaml = kpipe_compiler::to_yaml(&manifest)
                .map_err(|e| anyhow::anyhow!("cannot write the Workflow: {e}"))?;
            let name = entry.name.clone();
            (name.clone(), name, workflow, yaml, p.param_specs())
        }
    };
    let bound = bind_params(&source, &specs, params)?;
    set_params(&mut workflow, &bound);
    let given: Vec<(String, String)> = bound
        .given()
        .map(|p| (p.name.clone(), p.text.clone()))
        .collect();
    Ok(Prepared {
        pipeline,
        workflow,
        yaml,
        run_name: run_name(&given),
        params: given,
    })
}

/// The parameters an Argo Workflow file declares: its arguments (a
/// parameter without a value is required), typed by its KFP v1
/// `pipeline_spec` annotation where it has one (else text).
fn declared(doc: &Value) -> Vec<ParamSpec> {
    let annotation: Value = doc
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(kpipe_compiler::KFP_PIPELINE_SPEC))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let kind_of = |name: &str| {
        annotation["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["name"] == name)
            .and_then(|i| i["type"].as_str())
            .map_or(Kind::String, Kind::from_kfp_v1_name)
    };
    doc.pointer("/spec/arguments/parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let default = p.get("value").map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            Some(ParamSpec::new(name, kind_of(name), default))
        })
        .collect()
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
    bail!(
        "{source}: not sent, the Workflow does not pass `kpipe lint` ({} against Argo {}):\n{}",
        count(newest.len(), "problem"),
        SchemaVersion::ALL.last().map_or("", |v| v.as_str()),
        list(&newest)
    )
}

/// `1 problem`, `3 problems`.
pub(crate) fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// One indented line per item.
pub(crate) fn list(items: &[impl std::fmt::Display]) -> String {
    let mut text = String::new();
    for p in items {
        let _ = writeln!(text, "  {p}");
    }
    text.trim_end().to_owned()
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

/// Sets `spec.arguments.parameters[name].value` to every bound value.
fn set_params(doc: &mut Value, bound: &Bound) {
    let declared = doc
        .pointer_mut("/spec/arguments/parameters")
        .and_then(Value::as_array_mut);
    for p in declared.into_iter().flatten() {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        if let Some(text) = bound.get(name) {
            p["value"] = Value::String(text.to_owned());
        }
    }
}

/// `test-<pr>-<commit>` (the original's run names) when `pr` and `commit`
/// are both set and non-empty, as a DNS-1123 label of at most 57 characters
/// (room for Argo's random `generateName` suffix inside a 63-character label).
pub(crate) fn run_name(params: &[(String, String)]) -> Option<String> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
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

    pub(crate) fn app() -> App {
        App::new("t").pipeline("ci", "a pipeline Prow runs", || {
            let p = crate::Pipeline::new("ci");
            p.image("alpine:3.20");
            let pr = p.string_param("pr", "");
            let commit = p.string_param("commit", "");
            let epochs = p.int_param("epochs", 3);
            let rate = p.float_param("rate", 0.5);
            let dry = p.bool_param("dry-run", false);
            p.add(
                crate::ContainerStep::new("show", ["echo"])
                    .arg(&pr)
                    .arg(&commit)
                    .arg(&epochs)
                    .arg(&rate)
                    .arg(&dry),
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
        assert!(
            err.contains("ci: unknown parameter `nope`; the pipeline declares: pr, commit, epochs, rate, dry-run"),
            "{err}"
        );
        let err = prepare(
            &app,
            None,
            None,
            &p(&[("epochs", "ten"), ("dry-run", "yes")]),
        )
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert_eq!(
            err,
            "ci: -p epochs=ten: `epochs` is an integer parameter and `ten` is not an integer (e.g. -p epochs=10)\n\
             ci: -p dry-run=yes: `dry-run` is a bool parameter and `yes` is not true or false (e.g. -p dry-run=true)"
        );
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
