//! The data of a plan: DAGs ("scopes"), the channels between them and the
//! sources of every input.

use std::collections::{BTreeMap, BTreeSet};

use super::spec::ParameterType;

/// The root DAG's index in [`Plan::scopes`].
pub(crate) const ROOT: usize = 0;

/// A value that crosses DAG boundaries.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Channel {
    /// A pipeline parameter.
    Param(String),
    /// Output parameter `.1` of task `.0`.
    TaskParam(usize, String),
    /// Output artifact `.1` of task `.0`.
    TaskArtifact(usize, String),
    /// The item of the loop DAG `.0`.
    Item(usize),
    /// Output parameter `.1` of every iteration of loop task `.0`: a LIST,
    /// which the loop DAG gives its parent (`dsl.Collected`).
    Collected(usize, String),
}

/// Where a DAG task's input comes from, in the DAG it is placed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// An input of the enclosing component.
    Input(String),
    /// An output of a sibling task.
    TaskOutput { task: String, key: String },
    /// The final status of a sibling task (the exit handler's group).
    FinalStatus(String),
    /// A constant (a KFP placeholder such as `{{$.pipeline_job_name}}`).
    Constant(String),
}

/// What a sub-DAG stands for.
#[derive(Debug)]
pub(crate) enum ScopeKind {
    Root,
    ExitHandler,
    /// A `when`, already in CEL over the DAG's inputs.
    Condition {
        cel: String,
    },
    Loop(LoopItem),
}

/// A loop DAG's iterator.
#[derive(Debug)]
pub(crate) struct LoopItem {
    /// The input each iteration's item arrives in.
    pub(crate) name: String,
    pub(crate) ty: ParameterType,
    /// Field types of struct items (`Value::item_field`).
    pub(crate) fields: BTreeMap<String, ParameterType>,
    pub(crate) source: LoopSource,
}

#[derive(Debug)]
pub(crate) enum LoopSource {
    /// The items, as a JSON list.
    Raw(String),
    /// A channel holding the JSON list.
    Channel(Channel),
}

/// One DAG: the root, the exit handler's group, a condition or a loop.
#[derive(Debug)]
pub(crate) struct Scope {
    /// Its task name in the parent DAG (empty for the root).
    pub(crate) name: String,
    pub(crate) kind: ScopeKind,
    pub(crate) parent: usize,
    pub(crate) depth: usize,
    /// The channels it declares as inputs (its loop item aside).
    pub(crate) needs: BTreeSet<Channel>,
    /// How its parent provides each of `needs`, by input name.
    pub(crate) inputs: BTreeMap<String, Source>,
    /// Node name → the sibling nodes it waits for.
    pub(crate) dependencies: BTreeMap<String, BTreeSet<String>>,
    /// A loop DAG's outputs: output name → (the task inside, its output).
    pub(crate) outputs: BTreeMap<String, (String, String)>,
}

/// How a task's inputs are provided.
#[derive(Debug, Default)]
pub(crate) struct TaskInputs {
    /// Parameter → source and optional CEL selector.
    pub(crate) parameters: BTreeMap<String, (Source, Option<String>)>,
    pub(crate) artifacts: BTreeMap<String, Source>,
}

impl Scope {
    pub(crate) fn new(name: String, kind: ScopeKind, parent: usize, depth: usize) -> Self {
        Self {
            name,
            kind,
            parent,
            depth,
            needs: BTreeSet::new(),
            inputs: BTreeMap::new(),
            dependencies: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }
}
