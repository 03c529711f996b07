//! `kpipe lint`: offline checks of any Argo manifest (Workflow,
//! WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow) and of Kubeflow
//! Pipelines v2 IR files ([`lint_kfp`]); [`format_of`] tells them apart.
//!
//! Argo: two passes, both run so every problem is reported at once:
//! 1. the official Argo JSON schema, closed (unknown keys are errors) —
//!    `schema.rs`;
//! 2. graph checks the schema cannot express: the entrypoint and every
//!    referenced template exist, DAG dependencies name tasks of the same DAG,
//!    no cycles, artifact `from` names a known task — `structure.rs`.
//!
//! KFP IR: the vendored protos, strictly (`deploymentSpec` and the platform
//! document included), then references, cycles and placeholders — `kfp/`.

mod kfp;
mod schema;
mod structure;

use std::fmt;

pub use kfp::lint_kfp_documents;
pub use schema::SchemaVersion;

/// One problem in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintIssue {
    /// Where: a path such as `spec.templates[2](train).container`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LintIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Lints YAML `text` against Argo `version`'s schema and the graph rules.
pub fn lint(text: &str, version: SchemaVersion) -> Vec<LintIssue> {
    match crate::emit::parse_yaml(text) {
        Ok(doc) => lint_value(&doc, version),
        Err(e) => vec![yaml_issue(e)],
    }
}

/// What a YAML file holds, judged by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An Argo manifest (`apiVersion`/`kind`, or anything not KFP IR).
    Argo,
    /// A Kubeflow Pipelines v2 IR file (`PipelineSpec` [+ `PlatformSpec`]).
    KfpIr,
}

/// Tells an IR file (first document a `PipelineSpec`: `pipelineInfo`,
/// `root`, `components` … and no `apiVersion`/`kind`) from an Argo
/// manifest. Text that does not parse counts as Argo, whose lint then
/// reports the YAML error.
pub fn format_of(text: &str) -> Format {
    match crate::emit::parse_yaml_documents(text) {
        Ok(docs) if kfp::is_ir(&docs) => Format::KfpIr,
        _ => Format::Argo,
    }
}

/// Lints a Kubeflow Pipelines v2 IR file: the `PipelineSpec` document and
/// its `deploymentSpec` against KFP 2.17's protos (unknown keys are
/// problems), the `PlatformSpec` document and each Kubernetes executor
/// config against kfp-kubernetes 2.17's, then references, dependencies,
/// cycles, placeholders and conditions. Every problem, each with its path.
pub fn lint_kfp(text: &str) -> Vec<LintIssue> {
    match crate::emit::parse_yaml_documents(text) {
        Ok(docs) => kfp::lint_kfp_documents(&docs),
        Err(e) => vec![yaml_issue(e)],
    }
}

/// Lints `text` as what it holds: [`lint_kfp`] for an IR file, [`lint`]
/// against each of `versions` for an Argo manifest (problems deduplicated).
pub fn lint_any(text: &str, versions: &[SchemaVersion]) -> (Format, Vec<LintIssue>) {
    match format_of(text) {
        Format::KfpIr => (Format::KfpIr, lint_kfp(text)),
        Format::Argo => {
            let mut problems: Vec<LintIssue> = Vec::new();
            for &v in versions {
                for p in lint(text, v) {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
            (Format::Argo, problems)
        }
    }
}

fn yaml_issue(e: crate::emit::YamlError) -> LintIssue {
    LintIssue {
        path: match (e.line, e.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}"),
            _ => "document".to_owned(),
        },
        message: format!("not valid YAML: {}", e.message),
    }
}

/// Parses every document of a YAML stream into JSON (an IR file has two).
pub fn parse_yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, crate::emit::YamlError> {
    crate::emit::parse_yaml_documents(text)
}

/// Parses one YAML document into JSON (with the same YAML library the
/// compiler writes with).
pub fn parse_yaml(text: &str) -> Result<serde_json::Value, crate::emit::YamlError> {
    crate::emit::parse_yaml(text)
}

/// Lints an already parsed manifest.
pub fn lint_value(doc: &serde_json::Value, version: SchemaVersion) -> Vec<LintIssue> {
    let kind = doc.get("kind").and_then(|k| k.as_str());
    let api = doc.get("apiVersion").and_then(|k| k.as_str());
    let mut issues = Vec::new();
    if api != Some(crate::argo::API_VERSION) {
        issues.push(LintIssue {
            path: "apiVersion".to_owned(),
            message: format!(
                "expected `{}`, found {}",
                crate::argo::API_VERSION,
                api.map_or("nothing".to_owned(), |a| format!("`{a}`"))
            ),
        });
    }
    let Some(kind) = kind.and_then(schema::Kind::parse) else {
        issues.push(LintIssue {
            path: "kind".to_owned(),
            message: format!(
                "expected Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow, found {}",
                kind.map_or("nothing".to_owned(), |k| format!("`{k}`"))
            ),
        });
        return issues;
    };
    issues.extend(schema::validate(doc, kind, version));
    issues.extend(structure::check(doc, kind));
    issues
}

/// Renders a JSON pointer as `a.b[2](name).c`, naming list items that have a
/// `name` so the reader finds the template or task.
pub(crate) fn pretty_path(doc: &serde_json::Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut cur = Some(doc);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let next = cur.and_then(|v| match v {
            serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            serde_json::Value::Object(o) => o.get(&seg),
            _ => None,
        });
        match (cur, seg.parse::<usize>()) {
            (Some(serde_json::Value::Array(_)), Ok(i)) => {
                out.push_str(&format!("[{i}]"));
                if let Some(name) = next.and_then(|n| n.get("name")).and_then(|n| n.as_str()) {
                    out.push_str(&format!("({name})"));
                }
            }
            _ => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&seg);
            }
        }
        cur = next;
    }
    if out.is_empty() {
        "document".to_owned()
    } else {
        out
    }
}
