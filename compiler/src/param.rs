//! Pipeline parameters and the values a step field can take.

use std::fmt;
use std::marker::PhantomData;

use crate::artifact::{OutputParam, OutputRef};
use crate::pipeline_id::PipelineId;

/// A Rust type a pipeline parameter can have.
pub trait ParamType: 'static {
    /// The type name in the KFP `pipeline_spec` annotation.
    const KFP_TYPE: &'static str;
}

impl ParamType for String {
    const KFP_TYPE: &'static str = "String";
}
impl ParamType for i64 {
    const KFP_TYPE: &'static str = "Integer";
}
impl ParamType for f64 {
    const KFP_TYPE: &'static str = "Float";
}
impl ParamType for bool {
    const KFP_TYPE: &'static str = "Bool";
}

/// A reference to a declared pipeline parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ParamRef {
    pub(crate) pipeline: PipelineId,
    pub(crate) name: String,
}

/// A handle to a pipeline parameter, returned by
/// [`Pipeline::string_param`](crate::Pipeline::string_param) and friends.
pub struct Param<T: ParamType> {
    pub(crate) param: ParamRef,
    kind: PhantomData<fn() -> T>,
}

impl<T: ParamType> Param<T> {
    pub(crate) fn new(param: ParamRef) -> Self {
        Self {
            param,
            kind: PhantomData,
        }
    }

    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.param.name
    }
}

impl<T: ParamType> Clone for Param<T> {
    fn clone(&self) -> Self {
        Self::new(self.param.clone())
    }
}

impl<T: ParamType> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param<{}>({})", T::KFP_TYPE, self.param.name)
    }
}

/// The value of a step field that Argo fills in at run time, or a literal.
///
/// Step contracts take `Value` for every string the pipeline may parameterise
/// (`pr`, `commit` …); the compiler turns non-literals into template input
/// parameters, so the same step template works for every run.
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
    /// The workflow's final status; only meaningful in an exit handler.
    WorkflowStatus,
    /// The workflow's name.
    WorkflowName,
    /// Several values joined, e.g. `quay.io/x/serving:` + the `commit` parameter.
    Concat(Vec<Value>),
}

/// Opaque reference to a pipeline parameter inside a [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub struct ParamRefValue(pub(crate) ParamRef);

/// Opaque reference to an output parameter inside a [`Value`].
#[derive(Clone, Debug, PartialEq)]
pub struct OutputParamValue(pub(crate) OutputRef);

impl Value {
    /// The current loop item.
    pub fn item() -> Self {
        Self::Item
    }

    /// A field of the current loop item (items that are maps).
    pub fn item_field(name: impl Into<String>) -> Self {
        Self::ItemField(name.into())
    }

    /// The values joined into one string.
    pub fn concat(parts: impl IntoIterator<Item = Value>) -> Self {
        Self::Concat(parts.into_iter().collect())
    }

    /// The value itself, or the parts of a [`Value::Concat`], flattened.
    pub(crate) fn leaves(&self) -> Vec<&Value> {
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
impl<T: ParamType> From<&Param<T>> for Value {
    fn from(p: &Param<T>) -> Self {
        Self::Param(ParamRefValue(p.param.clone()))
    }
}
impl From<&OutputParam> for Value {
    fn from(p: &OutputParam) -> Self {
        Self::Output(OutputParamValue(p.source.clone()))
    }
}
