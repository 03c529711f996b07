//! What `kpipe submit --kfp` sends through KFP's v2beta1 API: the v2 IR of a
//! registered pipeline (compiled here, its warnings printed) or of a file,
//! checked with `kpipe lint`'s IR rules, and the `-p` values typed by the
//! IR's declared parameter types (v2beta1 takes protobuf `Value`s).

use anyhow::bail;
use kpipe_compiler::lint::{self, Format};
use kpipe_compiler::{CompileError, KfpOptions};
use serde_json::{Map, Value};

use super::prepare::{self, Source, count, list};
use crate::{App, Profile};

/// A KFP v2 IR file ready to send.
#[derive(Clone, Debug)]
pub struct PreparedIr {
    /// The pipeline's name (the registry name, or the file's
    /// `pipelineInfo.name`).
    pub pipeline: String,
    /// The IR file (`PipelineSpec` [+ `PlatformSpec`]) with its declared
    /// parameter defaults: what KFP stores as a pipeline version.
    pub yaml: String,
    /// `test-<pr>-<commit>` when both parameters are set.
    pub run_name: Option<String>,
    /// The run's `runtime_config.parameters`: each `-p` value as the JSON
    /// (protobuf `Value`) its declared type asks for.
    pub parameters: Map<String, Value>,
}

/// Compiles a registered pipeline to v2 IR, or reads `target` when it names
/// an IR file, lints it, and types the parameters.
pub fn prepare_ir(
    app: &App,
    target: Option<&str>,
    image: Option<String>,
    params: &[(String, String)],
) -> anyhow::Result<PreparedIr> {
    let (pipeline, yaml, source) = match prepare::source(app, target, image.as_deref())? {
        Source::File { path, text } => {
            if lint::format_of(&text) != Format::KfpIr {
                bail!(
                    "{path}: is not Kubeflow Pipelines v2 IR, and KFP's v2beta1 API runs only that: compile the pipeline with --target kfp, or send an Argo Workflow through the v1beta1 API with --kfp-api v1"
                );
            }
            (None, text, path)
        }
        Source::Registered(entry) => {
            let options = KfpOptions { image };
            match app.build(entry, &Profile::Cluster).compile_kfp(&options) {
                Ok(compiled) => {
                    for warning in &compiled.warnings {
                        eprintln!("{warning}");
                    }
                    (Some(entry.name.clone()), compiled.yaml, entry.name.clone())
                }
                Err(CompileError::Invalid(d)) => bail!(
                    "{} does not compile to Kubeflow Pipelines v2 IR:\n{d}",
                    entry.name
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let problems = lint::lint_kfp(&yaml);
    if !problems.is_empty() {
        bail!(
            "{source}: not sent, the IR does not pass `kpipe lint` ({} against KFP 2.17):\n{}",
            count(problems.len(), "problem"),
            list(&problems)
        );
    }
    let spec = lint::parse_yaml_documents(&yaml)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .unwrap_or(Value::Null);
    let pipeline = match pipeline {
        Some(p) => p,
        None => spec["pipelineInfo"]["name"]
            .as_str()
            .unwrap_or("pipeline")
            .to_owned(),
    };
    let declared = spec
        .pointer("/root/inputDefinitions/parameters")
        .and_then(Value::as_object);
    let mut parameters = Map::new();
    for (name, value) in params {
        parameters.insert(name.clone(), typed(&source, declared, name, value)?);
    }
    Ok(PreparedIr {
        pipeline,
        yaml,
        run_name: prepare::run_name(params),
        parameters,
    })
}

/// `-p name=value` as the JSON value of the parameter's declared type.
fn typed(
    source: &str,
    declared: Option<&Map<String, Value>>,
    name: &str,
    value: &str,
) -> anyhow::Result<Value> {
    let Some(declared) = declared.filter(|d| !d.is_empty()) else {
        bail!("{source}: the pipeline declares no parameters, so -p {name}=… cannot be set");
    };
    let Some(definition) = declared.get(name) else {
        let known: Vec<&str> = declared.keys().map(String::as_str).collect();
        bail!(
            "{source}: unknown parameter `{name}`; the pipeline declares: {}",
            known.join(", ")
        );
    };
    let kind = definition["parameterType"].as_str().unwrap_or("STRING");
    let bad = |expected: &str, example: &str| {
        anyhow::anyhow!(
            "-p {name}={value}: `{name}` is a {kind} parameter and `{value}` is not {expected} (e.g. -p {name}={example})"
        )
    };
    Ok(match kind {
        "STRING" => Value::String(value.to_owned()),
        "NUMBER_INTEGER" => value
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer", "10"))?,
        "NUMBER_DOUBLE" => value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a finite number", "0.5"))?,
        "BOOLEAN" => match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false", "true")),
        },
        "LIST" => serde_json::from_str::<Value>(value)
            .ok()
            .filter(Value::is_array)
            .ok_or_else(|| bad("a JSON array", "'[1, 2]'"))?,
        "STRUCT" => serde_json::from_str::<Value>(value)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| bad("a JSON object", "'{\"a\": 1}'"))?,
        other => bail!("{source}: parameter `{name}` has type {other}, which -p cannot set"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::submit::prepare::tests::{app, p};
    use serde_json::json;

    #[test]
    fn parameters_are_typed_by_the_ir() {
        let prepared = prepare_ir(
            &app(),
            None,
            None,
            &p(&[
                ("pr", "42"),
                ("commit", "abc"),
                ("epochs", "7"),
                ("rate", "0.25"),
                ("dry-run", "true"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(prepared.pipeline, "ci");
        assert_eq!(prepared.run_name.as_deref(), Some("test-42-abc"));
        assert_eq!(
            Value::Object(prepared.parameters),
            json!({"pr": "42", "commit": "abc", "epochs": 7, "rate": 0.25, "dry-run": true})
        );
        assert!(prepared.yaml.contains("schemaVersion"), "{}", prepared.yaml);
    }

    #[test]
    fn bad_values_and_names_say_what_is_expected() {
        for (param, says) in [
            (
                ("epochs", "ten"),
                "-p epochs=ten: `epochs` is a NUMBER_INTEGER parameter and `ten` is not an integer (e.g. -p epochs=10)",
            ),
            (("epochs", "1.5"), "is not an integer"),
            (("rate", "fast"), "is not a finite number"),
            (("rate", "inf"), "is not a finite number"),
            (("dry-run", "yes"), "is not true or false"),
            (
                ("nope", "1"),
                "unknown parameter `nope`; the pipeline declares: commit, dry-run, epochs, pr, rate",
            ),
        ] {
            let err = prepare_ir(&app(), None, None, &p(&[param]))
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(err.contains(says), "{param:?}: {err}");
        }
    }

    #[test]
    fn files_must_be_ir_that_passes_lint() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let argo = dir.path().join("wf.yaml");
        std::fs::write(&argo, "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let err = prepare_ir(&app(), argo.to_str(), None, &[])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("--kfp-api v1"), "{err}");

        let good = prepare_ir(&app(), None, None, &[]).unwrap_or_else(|e| panic!("{e:#}"));
        let ir = dir.path().join("ir.yaml");
        std::fs::write(&ir, &good.yaml).unwrap_or_else(|e| panic!("{e}"));
        let from_file =
            prepare_ir(&app(), ir.to_str(), None, &[]).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(from_file.pipeline, "ci");
        assert_eq!(from_file.yaml, good.yaml);

        let broken = good
            .yaml
            .replace("executorLabel: exec-show", "executorLabel: exec-nope");
        assert_ne!(broken, good.yaml);
        std::fs::write(&ir, &broken).unwrap_or_else(|e| panic!("{e}"));
        let err = prepare_ir(&app(), ir.to_str(), None, &[])
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.contains("not sent, the IR does not pass `kpipe lint`"),
            "{err}"
        );
        assert!(err.contains("exec-nope"), "{err}");
    }
}
