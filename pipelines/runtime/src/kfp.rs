//! Kubeflow Pipelines v1 metrics and UI metadata, as steps write them.

use serde_json::{Value, json};

/// How KFP shows a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricFormat {
    /// As is.
    Raw,
    /// As a percentage (the value is a fraction: 0.9 shows 90%).
    Percentage,
}

/// One scalar metric of `mlpipeline-metrics.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// Name: lower case letters, digits and `-`, starting with a letter,
    /// at most 64 characters (KFP's rule).
    pub name: String,
    /// Value.
    pub value: f64,
    /// Display format.
    pub format: MetricFormat,
}

impl Metric {
    /// A metric shown as is.
    pub fn raw(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            value,
            format: MetricFormat::Raw,
        }
    }

    /// A fraction shown as a percentage.
    pub fn percentage(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            value,
            format: MetricFormat::Percentage,
        }
    }
}

/// KFP's metric name rule: `^[a-z]([-a-z0-9]{0,62}[a-z0-9])?$`.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !name.ends_with('-')
}

/// `{"metrics": [{"name", "numberValue", "format"}…]}`.
pub fn metrics_json(metrics: &[Metric]) -> anyhow::Result<Value> {
    let mut out = Vec::with_capacity(metrics.len());
    for m in metrics {
        if !valid_name(&m.name) {
            anyhow::bail!(
                "metric name `{}` is not one Kubeflow Pipelines accepts: use lower case letters, digits and `-`, starting with a letter (e.g. `roc-auc`)",
                m.name
            );
        }
        if !m.value.is_finite() {
            anyhow::bail!(
                "metric `{}` is {}, not a number KFP can show",
                m.name,
                m.value
            );
        }
        out.push(json!({
            "name": m.name,
            "numberValue": m.value,
            "format": match m.format {
                MetricFormat::Raw => "RAW",
                MetricFormat::Percentage => "PERCENTAGE",
            },
        }));
    }
    Ok(json!({ "metrics": out }))
}

/// One visualisation of `mlpipeline-ui-metadata.json`.
#[derive(Clone, Debug, PartialEq)]
pub enum UiOutput {
    /// Markdown, rendered inline.
    Markdown(String),
    /// A confusion matrix: `matrix[actual][predicted]` counts over `labels`.
    ConfusionMatrix {
        /// Class names, in matrix order.
        labels: Vec<String>,
        /// Counts.
        matrix: Vec<Vec<u64>>,
    },
    /// A ROC curve: `(false positive rate, true positive rate, threshold)`
    /// per point. Written as KFP 1.8's UI reads it (schema `fpr`, `tpr`,
    /// `thresholds`; rows without a header); points with a non-finite
    /// number are left out.
    Roc(Vec<(f64, f64, f64)>),
}

/// `{"outputs": […]}`, every output inline.
pub fn ui_metadata_json(outputs: &[UiOutput]) -> Value {
    let outputs: Vec<Value> = outputs
        .iter()
        .map(|o| match o {
            UiOutput::Markdown(text) => json!({
                "type": "markdown",
                "storage": "inline",
                "source": text,
            }),
            UiOutput::ConfusionMatrix { labels, matrix } => {
                let mut csv = String::new();
                for (t, row) in matrix.iter().enumerate() {
                    for (p, count) in row.iter().enumerate() {
                        let label = |i: usize| labels.get(i).map_or("?", String::as_str);
                        csv.push_str(&format!("{},{},{count}\n", label(t), label(p)));
                    }
                }
                let mut table = csv_table(
                    "confusion_matrix",
                    &[
                        ("target", "CATEGORY"),
                        ("predicted", "CATEGORY"),
                        ("count", "NUMBER"),
                    ],
                    csv,
                );
                table["labels"] = json!(labels);
                table
            }
            UiOutput::Roc(points) => {
                let mut csv = String::new();
                for (fpr, tpr, threshold) in points {
                    if [fpr, tpr, threshold].iter().all(|v| v.is_finite()) {
                        csv.push_str(&format!("{fpr},{tpr},{threshold}\n"));
                    }
                }
                csv_table(
                    "roc",
                    &[
                        ("fpr", "NUMBER"),
                        ("tpr", "NUMBER"),
                        ("thresholds", "NUMBER"),
                    ],
                    csv,
                )
            }
        })
        .collect();
    json!({ "outputs": outputs })
}

/// An output of `kind` whose data is the CSV `rows` inline, with `schema`'s
/// (name, type) columns and no header row, as KFP 1.8's UI reads it.
fn csv_table(kind: &str, schema: &[(&str, &str)], rows: String) -> Value {
    let schema: Vec<Value> = schema
        .iter()
        .map(|(name, ty)| json!({"name": name, "type": ty}))
        .collect();
    json!({
        "type": kind,
        "format": "csv",
        "schema": schema,
        "storage": "inline",
        "source": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kfp() {
        for ok in ["a", "roc-auc", "f1", "x".repeat(64).as_str()] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "A", "1x", "x-", "a_b", "a b", "x".repeat(65).as_str()] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn confusion_matrix_is_inline_csv() {
        let v = ui_metadata_json(&[UiOutput::ConfusionMatrix {
            labels: vec!["no".into(), "yes".into()],
            matrix: vec![vec![5, 1], vec![2, 7]],
        }]);
        assert_eq!(
            v["outputs"][0]["source"],
            "no,no,5\nno,yes,1\nyes,no,2\nyes,yes,7\n"
        );
    }

    #[test]
    fn roc_is_headerless_csv_without_non_finite_points() {
        let v = ui_metadata_json(&[UiOutput::Roc(vec![
            (0.0, 0.0, 1.0),
            (0.25, f64::NAN, 0.5),
            (1.0, 1.0, 0.0),
        ])]);
        assert_eq!(v["outputs"][0]["type"], "roc");
        assert_eq!(v["outputs"][0]["schema"][2]["name"], "thresholds");
        assert_eq!(v["outputs"][0]["source"], "0,0,1\n1,1,0\n");
    }
}
