//! The train step's Kubeflow Pipelines v1 outputs: the metrics the KFP UI
//! lists and the confusion matrix it draws.

use super::metrics::Metrics;

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
/// (inline CSV) and a markdown summary.
pub fn ui_metadata(m: &Metrics) -> serde_json::Value {
    let labels = ["not bug", "bug"];
    let mut csv = String::new();
    for (t, row) in m.confusion_matrix.iter().enumerate() {
        for (p, count) in row.iter().enumerate() {
            csv.push_str(&format!("{},{},{count}\n", labels[t], labels[p]));
        }
    }
    serde_json::json!({
        "outputs": [
            {
                "type": "confusion_matrix",
                "format": "csv",
                "schema": [
                    {"name": "target", "type": "CATEGORY"},
                    {"name": "predicted", "type": "CATEGORY"},
                    {"name": "count", "type": "NUMBER"}
                ],
                "storage": "inline",
                "source": csv,
                "labels": labels,
            },
            {
                "type": "markdown",
                "storage": "inline",
                "source": format!(
                    "# kind/bug classifier (validation split)\n\n| metric | value |\n|---|---|\n| accuracy | {:.4} |\n| ROC AUC | {:.4} |\n| F1 (bug) | {:.4} |\n| precision | {:.4} |\n| recall | {:.4} |\n| threshold | {:.2} |\n| examples | {} |\n",
                    m.accuracy, m.roc_auc, m.f1, m.precision, m.recall, m.threshold, m.n
                ),
            }
        ]
    })
}
