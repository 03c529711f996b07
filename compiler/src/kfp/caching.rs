//! KFP's execution cache turned off for a whole run, in an IR file kpipe
//! did not compile (or compiled earlier): what kfp's client does for
//! `enable_caching=False`. A pipeline kpipe compiles gets the same through
//! [`KfpOptions::no_cache`](crate::KfpOptions::no_cache).

use serde_json::{Map, Value};

use crate::emit::{self, YamlError};

/// Why an IR file's caching could not be turned off.
#[derive(Debug, thiserror::Error)]
pub enum CachingError {
    /// The file is not YAML.
    #[error("not YAML: {}", .0.message)]
    Yaml(YamlError),
    /// The file holds no `PipelineSpec` document (no `root`).
    #[error("no PipelineSpec document (a first document with `root`)")]
    NoSpec,
    /// The documents could not be written back (a bug in kpipe).
    #[error("cannot write the IR back as YAML: {0}")]
    Emit(String),
}

/// `ir` (a `PipelineSpec` document, then optionally `---` and a
/// `PlatformSpec` document) with every task's `cachingOptions` emptied
/// (`{}`: KFP runs it), in every DAG: the root's and each component's.
/// kfp's client does the same to the root DAG's tasks only; kpipe reaches
/// the tasks inside conditions, loops and exit handlers too, so a run
/// without the cache has none anywhere.
///
/// # Errors
/// When `ir` is not YAML or has no `PipelineSpec` document.
pub fn disable_caching(ir: &str) -> Result<String, CachingError> {
    let mut docs = emit::parse_yaml_documents(ir).map_err(CachingError::Yaml)?;
    let Some(spec) = docs.first_mut().filter(|d| d.get("root").is_some()) else {
        return Err(CachingError::NoSpec);
    };
    let Some(spec) = spec.as_object_mut() else {
        return Err(CachingError::NoSpec);
    };
    let dags = spec.iter_mut().flat_map(|(key, value)| match key.as_str() {
        "root" => vec![value],
        "components" => value
            .as_object_mut()
            .map(|c| c.values_mut().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    });
    for dag in dags {
        let tasks = dag.pointer_mut("/dag/tasks").and_then(Value::as_object_mut);
        for task in tasks.into_iter().flat_map(Map::values_mut) {
            if let Some(options) = task.get_mut("cachingOptions") {
                *options = Value::Object(Map::new());
            }
        }
    }
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&emit::to_yaml(doc).map_err(CachingError::Emit)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::{ContainerStep, KfpFeature, KfpOptions, Memoize, Pipeline, Value as V, Volume};

    /// Conditions, a loop, an exit handler, a memo key and a platform
    /// document: every place a task can be.
    fn pipeline() -> Pipeline {
        let p = Pipeline::new("cached");
        p.image("alpine:3.20");
        let mode = p.string_param("mode", "fast");
        p.volume(Volume::secret("token", "token"));
        let a = p
            .add(ContainerStep::new("a", ["echo", "a"]))
            .memoize(Memoize::new("fixed", "cache", "1h"))
            .mount("token", "/token");
        p.add(ContainerStep::new("b", ["echo"]).arg(&mode))
            .after(&a)
            .when(mode.eq("fast"));
        p.add(ContainerStep::new("c", ["echo"]).arg(V::item()))
            .with_items(["x", "y"])
            .cache(false);
        p.on_exit(ContainerStep::new("bye", ["echo", "bye"]));
        p
    }

    fn compile(p: &Pipeline, no_cache: bool) -> crate::Compiled {
        let options = KfpOptions {
            no_cache,
            ..KfpOptions::default()
        };
        p.compile_kfp(&options).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every task's `cachingOptions` (`None`: a DAG task, which has none),
    /// by task name.
    fn caching(yaml: &str) -> Vec<(String, Option<Value>)> {
        let docs = crate::emit::parse_yaml_documents(yaml).unwrap_or_else(|e| panic!("{e:?}"));
        let spec = &docs[0];
        let dags = std::iter::once(&spec["root"]).chain(
            spec["components"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values()),
        );
        let mut out: Vec<(String, Option<Value>)> = dags
            .filter_map(|d| d["dag"]["tasks"].as_object())
            .flatten()
            .map(|(name, t)| (name.clone(), t.get("cachingOptions").cloned()))
            .collect();
        out.sort_by(|x, y| x.0.cmp(&y.0));
        out
    }

    #[test]
    fn every_task_is_cached_as_kfp_compiles_it_unless_turned_off() {
        let compiled = compile(&pipeline(), false);
        assert_eq!(
            caching(&compiled.yaml),
            [
                (
                    "a".into(),
                    Some(json!({"cacheKey": "fixed", "enableCache": true}))
                ),
                ("b".into(), Some(json!({"enableCache": true}))),
                ("bye".into(), Some(json!({"enableCache": true}))),
                ("c".into(), Some(json!({}))),
                ("condition-3".into(), None),
                ("exit-handler-1".into(), None),
                ("for-loop-2".into(), None),
            ]
        );
        // The memoized task is cached, so its memo's losses are warned.
        assert!(compiled.warnings.iter().any(|w| matches!(
            &w.kind,
            crate::DiagnosticKind::Kfp {
                feature: KfpFeature::Memoize { .. },
                ..
            }
        )));
    }

    #[test]
    fn a_run_without_the_cache_caches_nothing_and_loses_no_memo() {
        let compiled = compile(&pipeline(), true);
        for (task, options) in caching(&compiled.yaml) {
            let off = options.as_ref().is_none_or(|o| *o == json!({}));
            assert!(off, "{task}: {options:?}");
        }
        assert!(
            !compiled.warnings.iter().any(|w| matches!(
                &w.kind,
                crate::DiagnosticKind::Kfp {
                    feature: KfpFeature::Memoize { .. },
                    ..
                }
            )),
            "{:?}",
            compiled.warnings
        );
    }

    #[test]
    fn turning_a_file_s_cache_off_is_what_compiling_without_it_writes() {
        let p = pipeline();
        let cached = compile(&p, false).yaml;
        assert!(
            cached.contains("\n---\n"),
            "no platform document:\n{cached}"
        );
        let off = disable_caching(&cached).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(off, compile(&p, true).yaml);
        assert!(crate::lint::lint_kfp(&off).is_empty());
        // Idempotent.
        assert_eq!(disable_caching(&off).unwrap_or_else(|e| panic!("{e}")), off);
    }

    #[test]
    fn a_file_that_is_not_ir_says_so() {
        assert!(matches!(
            disable_caching("a: [unclosed"),
            Err(CachingError::Yaml(_))
        ));
        let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n";
        let err = disable_caching(argo).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("no PipelineSpec document (a first document with `root`)")
        );
    }
}
