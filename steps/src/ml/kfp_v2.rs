//! The train step's Kubeflow Pipelines v2 outputs: its metrics as artifact
//! metadata, which is what the KFP v2 UI draws (the v1 files of
//! [`super::kfp`] are stored as the artifacts' contents, which it does not
//! read).
//!
//! How a container reports metadata to KFP 2.17 (read in kubeflow/pipelines
//! at tag 2.17.0):
//!
//! - The launcher replaces `{{$}}` in the command line with the task's
//!   `ExecutorInput` as JSON (`compileCmdAndArgs` in
//!   `backend/src/v2/component/launcher_v2.go`); `{{$.outputs.output_file}}`
//!   is not among its placeholders (`getPlaceholders`), so a container learns
//!   the file from `outputs.outputFile` in that JSON, as the SDK's Python
//!   executor does (`kfp/dsl/executor.py`).
//! - After the container exits 0 the launcher reads that file, if it exists,
//!   with `protojson.Unmarshal` into `ExecutorOutput` (strict: an unknown
//!   key fails the task) and merges `artifacts[NAME].artifacts[0].metadata`
//!   into output artifact `NAME` (`getExecutorOutputFile`,
//!   `mergeRuntimeArtifacts`).
//! - Each metadata key becomes an ML Metadata custom property: numbers as
//!   doubles, lists wrapped as `{"list": …}`, objects as `{"struct": …}`;
//!   `null` fails the task (`StructValueToMLMDValue` in
//!   `backend/src/v2/metadata/converter.go`).
//! - The UI (`frontend/src/components/viewers/MetricsVisualizations.tsx`,
//!   `ROCCurveHelper.tsx`) lists every custom property of a `system.Metrics`
//!   artifact as a scalar metric, and draws a `system.ClassificationMetrics`
//!   artifact's `confusionMatrix` (`annotationSpecs[].displayName`,
//!   `rows[].row[]`, rows the true labels) and `confidenceMetrics`
//!   (`[{confidenceThreshold, recall, falsePositiveRate}]`): the shapes the
//!   SDK's `Metrics.log_metric`, `ClassificationMetrics.log_confusion_matrix`
//!   and `log_roc_curve` write (`kfp/dsl/types/artifact_types.py`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::metrics::{Metrics, RocPoint};

/// KFP's artifact type of scalar metrics.
pub const METRICS_TYPE: &str = "system.Metrics";
/// KFP's artifact type of a confusion matrix and ROC curve.
pub const CLASSIFICATION_METRICS_TYPE: &str = "system.ClassificationMetrics";

/// The classes, in the confusion matrix's order.
const CLASSES: [&str; 2] = ["not bug", "bug"];

/// The part of KFP's `ExecutorInput` (pipeline_spec.proto) the step reads.
/// protojson writes the JSON names (`outputFile`); the proto names are
/// accepted too, as protobuf's own parsers do.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExecutorInput {
    /// The task's outputs.
    pub outputs: Outputs,
}

/// `ExecutorInput.Outputs`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Outputs {
    /// Output artifacts by name.
    pub artifacts: BTreeMap<String, ArtifactList>,
    /// Where the container may write its `ExecutorOutput`.
    #[serde(alias = "output_file")]
    pub output_file: String,
}

/// `ArtifactList`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ArtifactList {
    /// The artifacts (one per output outside loops).
    pub artifacts: Vec<RuntimeArtifact>,
}

/// `RuntimeArtifact`: what the step reads of it, and writes back.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RuntimeArtifact {
    /// Its name, written back as it came (as the SDK's executor does).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Its URI, written back as it came.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uri: String,
    /// Its type (read only).
    #[serde(rename = "type", skip_serializing)]
    pub artifact_type: ArtifactTypeSchema,
    /// The metadata to merge into the artifact (written only).
    #[serde(skip_deserializing, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

/// `ArtifactTypeSchema`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ArtifactTypeSchema {
    /// E.g. `system.Metrics`.
    #[serde(alias = "schema_title")]
    pub schema_title: String,
}

/// KFP's `ExecutorOutput`: the metadata of each output artifact.
#[derive(Debug, Default, Serialize)]
pub struct ExecutorOutput {
    /// Output artifacts by name.
    pub artifacts: BTreeMap<String, ArtifactList>,
}

impl ExecutorInput {
    /// Parses the launcher's `{{$}}` replacement.
    pub fn parse(json: &str) -> anyhow::Result<Self> {
        if json.trim_start().starts_with("{{") {
            bail!(
                "--kfp-executor-input is `{json}`, a KFP v2 placeholder, not the executor input: only KFP's launcher fills it in; outside KFP leave the flag out"
            );
        }
        let input: Self = serde_json::from_str(json)
            .context("--kfp-executor-input is not KFP's ExecutorInput JSON (what its launcher puts for `{{$}}`)")?;
        if input.outputs.output_file.is_empty() {
            bail!(
                "--kfp-executor-input has no outputs.outputFile, where KFP reads the executor output; pass KFP's `{{$}}` unchanged"
            );
        }
        Ok(input)
    }
}

/// The `ExecutorOutput` reporting `m` and `roc` to KFP, and where to write
/// it: scalar metrics on every `system.Metrics` output of `input`, the
/// confusion matrix and ROC curve on every `system.ClassificationMetrics`
/// output. Fails when `input` has neither.
pub fn executor_output(
    input: ExecutorInput,
    m: &Metrics,
    roc: &[RocPoint],
) -> anyhow::Result<(PathBuf, ExecutorOutput)> {
    let mut out = ExecutorOutput::default();
    let mut found = Vec::new();
    for (name, list) in input.outputs.artifacts {
        let Some(first) = list.artifacts.into_iter().next() else {
            continue;
        };
        let metadata = match first.artifact_type.schema_title.as_str() {
            METRICS_TYPE => scalar_metrics(m),
            CLASSIFICATION_METRICS_TYPE => classification_metrics(m, roc),
            _ => continue,
        };
        found.push(name.clone());
        out.artifacts.insert(
            name,
            ArtifactList {
                artifacts: vec![RuntimeArtifact { metadata, ..first }],
            },
        );
    }
    if found.is_empty() {
        bail!(
            "the KFP executor input declares no {METRICS_TYPE} or {CLASSIFICATION_METRICS_TYPE} output artifact to report the metrics on"
        );
    }
    Ok((PathBuf::from(input.outputs.output_file), out))
}

/// A number as JSON; `None` for NaN and infinities, which JSON cannot hold
/// (serde_json would write `null`, and `null` metadata fails KFP's task).
fn number(v: f64) -> Option<Value> {
    v.is_finite().then(|| json!(v))
}

/// `system.Metrics` metadata: one key per scalar metric, named as in the
/// v1 metrics file, plus the decision threshold (as `Metrics.log_metric`).
pub fn scalar_metrics(m: &Metrics) -> Map<String, Value> {
    [
        ("accuracy", m.accuracy),
        ("roc-auc", m.roc_auc),
        ("f1", m.f1),
        ("precision", m.precision),
        ("recall", m.recall),
        ("threshold", m.threshold),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), number(v)?)))
    .collect()
}

/// `system.ClassificationMetrics` metadata: `confusionMatrix` (rows the true
/// classes, as `log_confusion_matrix`) and `confidenceMetrics` (as
/// `log_roc_curve`).
pub fn classification_metrics(m: &Metrics, roc: &[RocPoint]) -> Map<String, Value> {
    let confusion = json!({
        "annotationSpecs": CLASSES.map(|c| json!({ "displayName": c })),
        "rows": m.confusion_matrix.map(|row| json!({ "row": row })),
    });
    let points: Vec<Value> = roc
        .iter()
        .filter_map(|p| {
            Some(json!({
                "confidenceThreshold": number(p.threshold)?,
                "recall": number(p.recall)?,
                "falsePositiveRate": number(p.false_positive_rate)?,
            }))
        })
        .collect();
    let mut metadata = Map::new();
    metadata.insert("confusionMatrix".to_owned(), confusion);
    if !points.is_empty() {
        metadata.insert("confidenceMetrics".to_owned(), Value::Array(points));
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::metrics::roc_curve;

    fn metrics() -> (Metrics, Vec<RocPoint>) {
        let probs = [0.9, 0.7, 0.2, 0.1, 0.65];
        let labels = [true, false, true, false, true];
        (
            Metrics::compute(&probs, &labels, 0.6),
            roc_curve(&probs, &labels),
        )
    }

    /// What KFP 2.17's driver gives a train task, as its launcher writes it
    /// (protojson: JSON names, other fields the step ignores).
    const INPUT: &str = r#"{"inputs":{"artifacts":{"dataset":{"artifacts":[{"name":"1","uri":"minio://mlpipeline/v2/artifacts/ka/r/update-data/3/dataset","type":{"schemaTitle":"system.Dataset","schemaVersion":"0.0.1"}}]}}},
      "outputs":{"artifacts":{
        "mlpipeline-metrics":{"artifacts":[{"name":"mlpipeline-metrics","uri":"minio://mlpipeline/v2/artifacts/ka/r/train/4/mlpipeline-metrics","type":{"schemaTitle":"system.Metrics","schemaVersion":"0.0.1"}}]},
        "mlpipeline-ui-metadata":{"artifacts":[{"name":"mlpipeline-ui-metadata","uri":"minio://mlpipeline/v2/artifacts/ka/r/train/4/mlpipeline-ui-metadata","type":{"schemaTitle":"system.ClassificationMetrics","schemaVersion":"0.0.1"}}]},
        "model":{"artifacts":[{"name":"model","uri":"minio://mlpipeline/v2/artifacts/ka/r/train/4/model","type":{"schemaTitle":"system.Model","schemaVersion":"0.0.1"}}]}},
       "outputFile":"/minio/mlpipeline/v2/artifacts/ka/r/train/4/output_metadata.json"}}"#;

    #[test]
    fn metadata_has_the_shapes_the_kfp_ui_reads() {
        let (m, roc) = metrics();
        let (file, out) = ExecutorInput::parse(INPUT)
            .and_then(|i| executor_output(i, &m, &roc))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            file,
            PathBuf::from("/minio/mlpipeline/v2/artifacts/ka/r/train/4/output_metadata.json")
        );
        let v = serde_json::to_value(&out).unwrap_or_default();
        // The model gets nothing; each metrics artifact its name, URI and metadata.
        assert_eq!(
            v["artifacts"]
                .as_object()
                .map(|a| a.keys().map(String::as_str).collect::<Vec<_>>()),
            Some(vec!["mlpipeline-metrics", "mlpipeline-ui-metadata"])
        );
        let metrics = &v["artifacts"]["mlpipeline-metrics"]["artifacts"][0];
        assert_eq!(metrics["name"], "mlpipeline-metrics");
        assert_eq!(
            metrics["uri"],
            "minio://mlpipeline/v2/artifacts/ka/r/train/4/mlpipeline-metrics"
        );
        assert!(metrics.get("type").is_none(), "{metrics}");
        assert_eq!(
            metrics["metadata"],
            json!({
                "accuracy": 0.6, "roc-auc": m.roc_auc, "f1": m.f1, "precision": 2.0 / 3.0,
                "recall": 2.0 / 3.0, "threshold": 0.6
            })
        );
        let ui = &v["artifacts"]["mlpipeline-ui-metadata"]["artifacts"][0]["metadata"];
        assert_eq!(
            ui["confusionMatrix"],
            json!({
                "annotationSpecs": [{"displayName": "not bug"}, {"displayName": "bug"}],
                "rows": [{"row": [1, 1]}, {"row": [1, 2]}]
            })
        );
        let points = ui["confidenceMetrics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(points.len(), 101);
        assert_eq!(
            points[40],
            json!({"confidenceThreshold": 0.6, "recall": 2.0 / 3.0, "falsePositiveRate": 0.5})
        );
        assert_eq!(
            points[100],
            json!({"confidenceThreshold": 0.0, "recall": 1.0, "falsePositiveRate": 1.0})
        );
    }

    #[test]
    fn no_null_reaches_kfp() {
        let (mut m, mut roc) = metrics();
        m.roc_auc = f64::NAN;
        roc[3].recall = f64::INFINITY;
        assert!(!scalar_metrics(&m).contains_key("roc-auc"));
        let text = serde_json::to_string(&classification_metrics(&m, &roc)).unwrap_or_default();
        assert!(!text.contains("null"), "{text}");
        assert_eq!(
            classification_metrics(&m, &roc)["confidenceMetrics"]
                .as_array()
                .map(Vec::len),
            Some(100)
        );
    }

    #[test]
    fn bad_executor_inputs_say_what_to_pass() {
        let cases = [
            ("{{$}}", "only KFP's launcher fills it in"),
            ("{\"outputs\": ", "not KFP's ExecutorInput JSON"),
            ("{\"outputs\": {}}", "no outputs.outputFile"),
        ];
        for (input, needle) in cases {
            let Err(err) = ExecutorInput::parse(input) else {
                panic!("{input} parsed");
            };
            assert!(format!("{err:#}").contains(needle), "{input}: {err:#}");
        }
        let (m, roc) = metrics();
        let no_metrics = r#"{"outputs": {"outputFile": "/tmp/o.json", "artifacts": {"model": {"artifacts": [{"type": {"schemaTitle": "system.Model"}}]}}}}"#;
        let Err(err) = ExecutorInput::parse(no_metrics).and_then(|i| executor_output(i, &m, &roc))
        else {
            panic!("an executor input without metrics artifacts was accepted");
        };
        assert!(
            err.to_string()
                .contains("no system.Metrics or system.ClassificationMetrics"),
            "{err}"
        );
        // The proto field names are read too.
        let snake = r#"{"outputs": {"output_file": "/o.json", "artifacts": {"m": {"artifacts": [{"type": {"schema_title": "system.Metrics"}}]}}}}"#;
        let parsed = ExecutorInput::parse(snake)
            .and_then(|i| executor_output(i, &m, &roc))
            .map(|(f, o)| (f, o.artifacts.keys().cloned().collect::<Vec<_>>()))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(parsed, (PathBuf::from("/o.json"), vec!["m".to_owned()]));
    }
}
