//! What `kpipe submit --kfp` sends through KFP's v2beta1 API: the v2 IR of a
//! registered pipeline (compiled here, its warnings printed) or of a file,
//! checked with `kpipe lint`'s IR rules, and the `-p` values typed by the
//! IR's declared parameter types (v2beta1 takes protobuf `Value`s).

use anyhow::bail;
use kpipe_compiler::ir::bind::{ParamSpec, ValueType};
use kpipe_compiler::lint::{self, Format};
use kpipe_compiler::{CompileError, KfpOptions, Kind};
use serde_json::{Map, Value};

use super::prepare::{self, Source, count, list};
use crate::App;
use crate::params::bind_params;

/// A KFP v2 IR file ready to send.
#[derive(Clone, Debug)]
pub(crate) struct PreparedIr {
    /// The pipeline's name (the registry name, or the file's
    /// `pipelineInfo.name`).
    pub(crate) pipeline: String,
    /// The IR file (`PipelineSpec` [+ `PlatformSpec`]) with its declared
    /// parameter defaults: what KFP stores as a pipeline version.
    pub(crate) yaml: String,
    /// `test-<pr>-<commit>` when both parameters are set.
    pub(crate) run_name: Option<String>,
    /// The run's `runtime_config.parameters`: each `-p` value as the JSON
    /// (protobuf `Value`) its declared type asks for.
    pub(crate) parameters: Map<String, Value>,
}

/// Compiles a registered pipeline to v2 IR, or reads `target` when it names
/// an IR file and lints it, and binds the parameters (the same binder, and
/// the same errors, as `run --local`): v2beta1 takes each as the JSON of its
/// declared type.
pub(crate) fn prepare_ir(
    app: &App,
    target: Option<&str>,
    image: Option<String>,
    params: &[(String, String)],
) -> anyhow::Result<PreparedIr> {
    let (pipeline, source, yaml, specs) = match prepare::source(app, target, image.as_deref())? {
        Source::File { path, text } => {
            if lint::format_of(&text) != Format::KfpIr {
                bail!(
                    "{path}: is not Kubeflow Pipelines v2 IR, and KFP's v2beta1 API runs only that: compile the pipeline with --target kfp, or send an Argo Workflow through the v1beta1 API with --kfp-api v1"
                );
            }
            let problems = lint::lint_kfp(&text);
            if !problems.is_empty() {
                bail!(
                    "{path}: not sent, the IR does not pass `kpipe lint` ({} against KFP 2.17):\n{}",
                    count(problems.len(), "problem"),
                    list(&problems)
                );
            }
            let spec = lint::parse_yaml_documents(&text)
                .ok()
                .and_then(|docs| docs.into_iter().next())
                .unwrap_or(Value::Null);
            let name = spec["pipelineInfo"]["name"]
                .as_str()
                .unwrap_or("pipeline")
                .to_owned();
            (name, path, text, declared(&spec))
        }
        Source::Registered(entry) => {
            let options = KfpOptions { image };
            let p = app.build(entry);
            let compiled = match p.compile_kfp(&options) {
                Ok(compiled) => compiled,
                Err(CompileError::Invalid(d)) => bail!(
                    "{} does not compile to Kubeflow Pipelines v2 IR:\n{d}",
                    entry.name
                ),
                Err(e) => return Err(e.into()),
            };
            for warning in &compiled.warnings {
                eprintln!("{warning}");
            }
            let name = entry.name.clone();
            (name.clone(), name, compiled.yaml, p.param_specs())
        }
    };
    let bound = bind_params(&source, &specs, params)?;
    let given: Vec<(String, String)> = bound
        .given()
        .map(|p| (p.name.clone(), p.text.clone()))
        .collect();
    Ok(PreparedIr {
        pipeline,
        yaml,
        run_name: prepare::run_name(&given),
        parameters: bound
            .given()
            .map(|p| (p.name.clone(), p.json.clone()))
            .collect(),
    })
}

/// The parameters a KFP IR file declares (`root.inputDefinitions`), with
/// their types and defaults (a parameter without one, not optional, is
/// required).
fn declared(spec: &Value) -> Vec<ParamSpec> {
    let Some(declared) = spec
        .pointer("/root/inputDefinitions/parameters")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    declared
        .iter()
        .map(|(name, d)| {
            let kind = match d["parameterType"].as_str().unwrap_or("STRING") {
                "NUMBER_INTEGER" => ValueType::Scalar(Kind::Integer),
                "NUMBER_DOUBLE" => ValueType::Scalar(Kind::Float),
                "BOOLEAN" => ValueType::Scalar(Kind::Bool),
                "LIST" => ValueType::List,
                "STRUCT" => ValueType::Struct,
                _ => ValueType::Scalar(Kind::String),
            };
            let default = match d.get("defaultValue") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None if d["isOptional"] == true => Some(String::new()),
                Some(Value::Null) | None => None,
                Some(v) => Some(v.to_string()),
            };
            ParamSpec::new(name.clone(), kind, default)
        })
        .collect()
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
                "ci: -p epochs=ten: `epochs` is an integer parameter and `ten` is not an integer (e.g. -p epochs=10)",
            ),
            (("epochs", "1.5"), "is not an integer"),
            (("rate", "fast"), "is not a finite number"),
            (("rate", "inf"), "is not a finite number"),
            (("dry-run", "yes"), "is not true or false"),
            (
                ("nope", "1"),
                "ci: unknown parameter `nope`; the pipeline declares: pr, commit, epochs, rate, dry-run",
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
