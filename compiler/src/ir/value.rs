//! Run-time values: what a step argument, an environment variable, a loop
//! or a condition reads when the workflow runs, and the types they have.

use std::fmt;

use crate::ir::pipeline_id::PipelineId;

/// The type of a pipeline parameter or of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Text.
    String,
    /// A 64-bit integer.
    Integer,
    /// A 64-bit float.
    Float,
    /// `true` or `false`.
    Bool,
}

impl Kind {
    /// The name in the KFP v1 `pipeline_spec` annotation (`String`,
    /// `Integer`, `Float`, `Bool`).
    pub fn kfp_v1_name(self) -> &'static str {
        match self {
            Kind::String => "String",
            Kind::Integer => "Integer",
            Kind::Float => "Float",
            Kind::Bool => "Bool",
        }
    }

    /// The kind a KFP v1 type name stands for (anything else is text).
    pub fn from_kfp_v1_name(name: &str) -> Kind {
        match name {
            "Integer" | "Int" | "int" => Kind::Integer,
            "Float" | "Double" | "float" => Kind::Float,
            "Bool" | "Boolean" | "bool" => Kind::Bool,
            _ => Kind::String,
        }
    }

    /// What a value of this kind is called in messages (`an integer`).
    pub fn article_name(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Integer => "an integer",
            Kind::Float => "a number",
            Kind::Bool => "true or false",
        }
    }

    /// `text` in this kind's canonical spelling, or `None` when it is not a
    /// value of this kind. Integers and floats print the way Rust (and Go's
    /// `strconv` for these values) prints them; booleans are `true`/`false`.
    pub fn canonical(self, text: &str) -> Option<String> {
        match self {
            Kind::String => Some(text.to_owned()),
            Kind::Integer => text.trim().parse::<i64>().ok().map(|n| n.to_string()),
            Kind::Float => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f.to_string()),
            Kind::Bool => match text.trim() {
                "true" => Some("true".to_owned()),
                "false" => Some("false".to_owned()),
                _ => None,
            },
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Bool => "bool",
        })
    }
}

/// A reference to a declared pipeline parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ParamRef {
    pub(crate) pipeline: PipelineId,
    pub(crate) name: String,
}

/// Where an artifact or output parameter comes from: an output of a task of
/// some pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OutputRef {
    pub(crate) pipeline: PipelineId,
    pub(crate) pipeline_name: String,
    pub(crate) task: usize,
    pub(crate) task_name: String,
    pub(crate) output: String,
}

/// The value of a step field that is filled in at run time, or a literal.
///
/// Step contracts take `Value` for every string the pipeline may parameterise
/// (`pr`, `commit` …); the compiler turns non-literals into run-time inputs
/// of the task, so the same step template works for every run.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A fixed string, rendered as is.
    Literal(String),
    /// A pipeline parameter.
    Param(ParamRefValue),
    /// The current item of a `withItems`/`withParam` loop.
    Item,
    /// A field of the current loop item (`{{item.NAME}}`).
    ItemField(String),
    /// An output parameter of another step (adds a dependency on it).
    Output(OutputParamValue),
    /// Every item's value of an output parameter of a loop step, in item
    /// order, as one JSON list (a fan-in: Argo's aggregated output, KFP's
    /// `dsl.Collected`). Build it with [`Value::collected`].
    Collected(OutputParamValue),
    /// The workflow's final status; only meaningful in an exit handler.
    WorkflowStatus,
    /// The workflow's name.
    WorkflowName,
    /// The attempt number of a retried step: 0, then 1, … (Argo's
    /// `{{retries}}`). Only a step's own command line and environment can
    /// read it; Kubeflow Pipelines v2 has no equivalent.
    Retries,
    /// Several values joined, e.g. `quay.io/x/serving:` + the `commit` parameter.
    Concat(Vec<Value>),
}

/// Opaque reference to a pipeline parameter inside a [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamRefValue(pub(crate) ParamRef);

/// Opaque reference to an output parameter inside a [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub struct OutputParamValue(pub(crate) OutputRef);

impl ParamRefValue {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

impl OutputParamValue {
    /// The producing task's name.
    pub fn task(&self) -> &str {
        &self.0.task_name
    }

    /// The producing task's index in its pipeline.
    pub fn task_index(&self) -> usize {
        self.0.task
    }

    /// The output parameter's name.
    pub fn output(&self) -> &str {
        &self.0.output
    }
}

impl Value {
    /// The current loop item.
    pub fn item() -> Self {
        Self::Item
    }

    /// A field of the current loop item (items that are maps).
    pub fn item_field(name: impl Into<String>) -> Self {
        Self::ItemField(name.into())
    }

    /// Every item's value of `output`, an output parameter of a loop step,
    /// as one JSON list in item order (a fan-in). A later step reads it as a
    /// list; `output` must be a step's output parameter (anything else is
    /// returned as it is, and validation says why it cannot be collected).
    pub fn collected(output: impl Into<Value>) -> Self {
        match output.into() {
            Value::Output(o) => Self::Collected(o),
            other => other,
        }
    }

    /// The attempt number of a retried step (0 on the first attempt).
    pub fn retries() -> Self {
        Self::Retries
    }

    /// The values joined into one string.
    pub fn concat(parts: impl IntoIterator<Item = Value>) -> Self {
        Self::Concat(parts.into_iter().collect())
    }

    /// The value itself, or the parts of a [`Value::Concat`], flattened.
    pub fn leaves(&self) -> Vec<&Value> {
        match self {
            Value::Concat(parts) => parts.iter().flat_map(Value::leaves).collect(),
            v => vec![v],
        }
    }

    /// The literal string, if this is one.
    pub fn as_literal(&self) -> Option<&str> {
        match self {
            Self::Literal(s) => Some(s),
            _ => None,
        }
    }

    /// The value for people: a parameter by name, a literal quoted, another
    /// task's output as `task.output`.
    pub fn describe(&self) -> String {
        match self {
            Value::Literal(s) => format!("'{s}'"),
            Value::Param(p) => p.0.name.clone(),
            Value::Item => "item".to_owned(),
            Value::ItemField(f) => format!("item.{f}"),
            Value::Output(o) => format!("{}.{}", o.0.task_name, o.0.output),
            Value::Collected(o) => format!("{}.{}[*]", o.0.task_name, o.0.output),
            Value::WorkflowStatus => "workflow.status".to_owned(),
            Value::WorkflowName => "workflow.name".to_owned(),
            Value::Retries => "retries".to_owned(),
            Value::Concat(parts) => parts
                .iter()
                .map(Value::describe)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    /// The value's text once `lookup` gives every leaf that is not a
    /// literal (`None` when one is unknown). How a loop item or one of its
    /// fields reads as text is defined here: a string item is its text,
    /// anything else its JSON.
    pub fn resolve(&self, lookup: &dyn Fn(&Value) -> Option<String>) -> Option<String> {
        match self {
            Value::Literal(s) => Some(s.clone()),
            Value::Concat(parts) => parts.iter().map(|p| p.resolve(lookup)).collect(),
            other => lookup(other),
        }
    }
}

/// The text of loop item `item` (strings are their text, anything else its
/// JSON), or of its field `field`.
pub fn item_text(item: &serde_json::Value, field: Option<&str>) -> Option<String> {
    let v = match field {
        Some(f) => item.get(f)?,
        None => item,
    };
    Some(match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Literal(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Literal(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Literal(s.clone())
    }
}
/// A boolean literal (`true`, `false`), for flags a run may also set from
/// a parameter.
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Literal(b.to_string())
    }
}

impl From<&Value> for Value {
    fn from(v: &Value) -> Self {
        v.clone()
    }
}
