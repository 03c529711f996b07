//! The train step's Kubeflow Pipelines v1 outputs: the metrics the KFP UI
//! lists and the confusion matrix and ROC curve it draws.

use kpipe_runtime::kfp::{UiOutput, ui_metadata_json};

use super::metrics::{Metrics, RocPoint};

/// Kubeflow Pipelines v1 `mlpipeline-metrics.json`.
pub fn metrics(m: &Metrics) -> serde_json::Value {
    let metric = |name: &str, v: f64, format: &str| serde_json::json!({ "name": name, "numberValue": v, "format": format });
    serde_json::json!({
        "metrics": [
            metric("accuracy", m.accuracy, "PERCENTAGE"),
            metric("roc-auc", m.roc_auc, "RAW"),
            metric("f1", m.f1, "RAW"),
            metric("precision", m.precision, "RAW"),
            metric("recall", m.recall, "RAW"),
        ]
    })
}

/// Kubeflow Pipelines v1 `mlpipeline-ui-metadata.json`: the confusion matrix
/// and the ROC curve (inline CSV) and a markdown summary.
///
/// The ROC rows are `fpr,tpr,threshold` without a header: KFP 1.8's UI
/// (`OutputArtifactLoader.buildRocCurveConfig`) finds the columns by the
/// schema's names `fpr`, `tpr` and `threshold…`, and reads an `inline`
/// source as the CSV itself. Points with a non-finite number are left out.
pub fn ui_metadata(m: &Metrics, roc: &[RocPoint]) -> serde_json::Value {
    ui_metadata_json(&[
        UiOutput::ConfusionMatrix {
            labels: vec!["not bug".into(), "bug".into()],
            matrix: m.confusion_matrix.iter().map(|row| row.to_vec()).collect(),
        },
        UiOutput::Roc(
            roc.iter()
                .map(|p| (p.false_positive_rate, p.recall, p.threshold))
                .collect(),
        ),
        UiOutput::Markdown(format!(
            "# kind/bug classifier (validation split)\n\n| metric | value |\n|---|---|\n| accuracy | {:.4} |\n| ROC AUC | {:.4} |\n| F1 (bug) | {:.4} |\n| precision | {:.4} |\n| recall | {:.4} |\n| threshold | {:.2} |\n| examples | {} |\n",
            m.accuracy, m.roc_auc, m.f1, m.precision, m.recall, m.threshold, m.n
        )),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::metrics::roc_curve;

    #[test]
    fn ui_metadata_has_the_roc_curve_as_kfp_1_8_reads_it() {
        let probs = [0.9, 0.7, 0.2, 0.1, 0.65];
        let labels = [true, false, true, false, true];
        let m = Metrics::compute(&probs, &labels, 0.6);
        let mut roc = roc_curve(&probs, &labels);
        let ui = ui_metadata(&m, &roc);
        let types: Vec<_> = ui["outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| o["type"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(types, ["confusion_matrix", "roc", "markdown"]);
        let entry = &ui["outputs"][1];
        assert_eq!(entry["storage"], "inline");
        assert_eq!(entry["format"], "csv");
        let names: Vec<_> = entry["schema"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["fpr", "tpr", "thresholds"]);
        let csv = entry["source"].as_str().unwrap_or_default();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 101);
        // Threshold 1 first (0/0), threshold 0 last (1/1); at 0.6 two of
        // three bugs and one of two non-bugs are at or above it.
        assert_eq!((rows[0], rows[100]), ("0,0,1", "1,1,0"));
        assert_eq!(rows[40], format!("0.5,{},0.6", 2.0 / 3.0));
        // A point KFP could not parse is left out, not written as NaN.
        roc[3].recall = f64::NAN;
        let ui = ui_metadata(&m, &roc);
        let csv = ui["outputs"][1]["source"].as_str().unwrap_or_default();
        assert_eq!(csv.lines().count(), 100);
        assert!(!csv.contains("NaN"), "{csv}");
    }
}
