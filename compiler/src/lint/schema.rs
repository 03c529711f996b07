//! Validation against the vendored official Argo schemas, closed.
//!
//! Argo's published schema never sets `additionalProperties`, so a misspelt
//! key passes it. kpipe closes every object that lists its `properties`, and
//! lets Kubernetes `Quantity`/`IntOrString` be integers as the API server does
//! (the schema says string only; KFP emits `nvidia.com/gpu: 2`).

use std::sync::OnceLock;

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

use super::{LintIssue, pretty_path};

/// An Argo release whose schema is vendored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaVersion {
    /// Argo v3.1.6 (Kubeflow Pipelines 1.8).
    V3_1_6,
    /// Argo v3.5.14 (Kubeflow Pipelines 2.5).
    V3_5_14,
    /// Argo v4.1.2.
    V4_1_2,
}

impl SchemaVersion {
    /// Every vendored version, oldest first.
    pub const ALL: [SchemaVersion; 3] = [Self::V3_1_6, Self::V3_5_14, Self::V4_1_2];

    /// `v3.1.6`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3_1_6 => "v3.1.6",
            Self::V3_5_14 => "v3.5.14",
            Self::V4_1_2 => "v4.1.2",
        }
    }

    /// Parses `v3.1.6`/`3.1.6` etc.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('v').unwrap_or(s);
        Self::ALL.into_iter().find(|v| &v.as_str()[1..] == s)
    }

    fn source(self) -> &'static str {
        match self {
            Self::V3_1_6 => include_str!("../../schemas/argo-v3.1.6.schema.json"),
            Self::V3_5_14 => include_str!("../../schemas/argo-v3.5.14.schema.json"),
            Self::V4_1_2 => include_str!("../../schemas/argo-v4.1.2.schema.json"),
        }
    }

    fn draft(self) -> Draft {
        match self {
            Self::V3_1_6 | Self::V3_5_14 => Draft::Draft7,
            Self::V4_1_2 => Draft::Draft202012,
        }
    }
}

/// The Argo kinds `kpipe lint` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Workflow,
    WorkflowTemplate,
    ClusterWorkflowTemplate,
    CronWorkflow,
}

impl Kind {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Workflow" => Self::Workflow,
            "WorkflowTemplate" => Self::WorkflowTemplate,
            "ClusterWorkflowTemplate" => Self::ClusterWorkflowTemplate,
            "CronWorkflow" => Self::CronWorkflow,
            _ => return None,
        })
    }

    fn definition(self) -> &'static str {
        match self {
            Self::Workflow => "io.argoproj.workflow.v1alpha1.Workflow",
            Self::WorkflowTemplate => "io.argoproj.workflow.v1alpha1.WorkflowTemplate",
            Self::ClusterWorkflowTemplate => {
                "io.argoproj.workflow.v1alpha1.ClusterWorkflowTemplate"
            }
            Self::CronWorkflow => "io.argoproj.workflow.v1alpha1.CronWorkflow",
        }
    }

    const ALL: [Kind; 4] = [
        Self::Workflow,
        Self::WorkflowTemplate,
        Self::ClusterWorkflowTemplate,
        Self::CronWorkflow,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

type Compiled = Result<Validator, String>;

fn validator(version: SchemaVersion, kind: Kind) -> &'static Compiled {
    static CACHE: [[OnceLock<Compiled>; 4]; 3] = [const { [const { OnceLock::new() }; 4] }; 3];
    let v = SchemaVersion::ALL
        .iter()
        .position(|x| *x == version)
        .unwrap_or(0);
    CACHE[v][kind.index()].get_or_init(|| {
        let schema = closed_schema(version, kind)?;
        jsonschema::options()
            .with_draft(version.draft())
            .build(&schema)
            .map_err(|e| {
                format!(
                    "the vendored {} schema does not compile: {e}",
                    version.as_str()
                )
            })
    })
}

/// The schema of `kind` in `version`, closed.
pub(crate) fn closed_schema(version: SchemaVersion, kind: Kind) -> Result<Value, String> {
    let mut full: Value = serde_json::from_str(version.source())
        .map_err(|e| format!("the vendored {} schema is not JSON: {e}", version.as_str()))?;
    let mut defs = match full.get_mut("definitions").map(Value::take) {
        Some(Value::Object(defs)) => defs,
        _ => {
            return Err(format!(
                "the vendored {} schema has no definitions",
                version.as_str()
            ));
        }
    };
    for (name, def) in defs.iter_mut() {
        if name.ends_with("api.resource.Quantity") || name.ends_with("util.intstr.IntOrString") {
            *def = json!({ "type": ["string", "integer"] });
        } else {
            close(def);
        }
    }
    Ok(json!({
        "$ref": format!("#/definitions/{}", kind.definition()),
        "definitions": Value::Object(defs),
    }))
}

/// Sets `additionalProperties: false` on every object schema with
/// `properties` and no `additionalProperties` of its own.
fn close(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for p in props.values_mut() {
            close(p);
        }
        if !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".to_owned(), Value::Bool(false));
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = obj.get_mut(key) {
            close(v);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(close);
        }
    }
}

pub(crate) fn validate(doc: &Value, kind: Kind, version: SchemaVersion) -> Vec<LintIssue> {
    match validator(version, kind) {
        Err(e) => vec![LintIssue {
            path: "document".to_owned(),
            message: e.clone(),
        }],
        Ok(v) => v
            .iter_errors(doc)
            .map(|e| LintIssue {
                path: pretty_path(doc, e.instance_path().as_str()),
                message: format!("{e} (Argo {} schema)", version.as_str()),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_nested_objects_and_widens_quantities() {
        let Ok(schema) = closed_schema(SchemaVersion::V3_1_6, Kind::Workflow) else {
            panic!("vendored schema must load");
        };
        let defs = &schema["definitions"];
        assert_eq!(
            defs["io.argoproj.workflow.v1alpha1.Template"]["additionalProperties"],
            Value::Bool(false)
        );
        assert_eq!(
            defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"],
            json!(["string", "integer"])
        );
        // Maps keep their value schemas (labels are open string maps).
        assert_eq!(
            defs["io.argoproj.workflow.v1alpha1.Metadata"]["properties"]["labels"]["additionalProperties"]
                ["type"],
            json!("string")
        );
    }

    #[test]
    fn every_version_compiles_for_every_kind() {
        for v in SchemaVersion::ALL {
            for k in Kind::ALL {
                assert!(validator(v, k).is_ok(), "{v:?} {k:?}");
            }
        }
    }

    #[test]
    fn parses_versions() {
        assert_eq!(SchemaVersion::parse("3.1.6"), Some(SchemaVersion::V3_1_6));
        assert_eq!(SchemaVersion::parse("v4.1.2"), Some(SchemaVersion::V4_1_2));
        assert_eq!(SchemaVersion::parse("v9"), None);
    }
}
