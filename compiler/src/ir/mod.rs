//! The typed IR a [`Pipeline`](crate::Pipeline) records: tasks, their
//! inputs, outputs and settings, with every run-time string held as typed
//! [`Pieces`] and every condition as a typed [`Cond`]. Validation, the graph
//! algorithms and every backend read it — the Argo and Kubeflow Pipelines
//! lowerings and the local runner ([`Pipeline::ir`](crate::Pipeline::ir)) —
//! and none parses another's text. Only the DSL builders write it.
//!
//! The submodules are the value types the IR is made of (values, pieces,
//! conditions, retries, volumes, resources …), the dependency graph
//! (`deps`), the checks every target shares (`validate`) and the
//! parameter binder every command shares ([`bind`]).

pub mod bind;
pub(crate) mod cond;
pub(crate) mod deps;
pub(crate) mod lifecycle;
pub(crate) mod piece;
pub(crate) mod pipeline_id;
pub(crate) mod resources;
pub(crate) mod retry;
pub(crate) mod step_host;
pub(crate) mod toleration;
pub(crate) mod validate;
pub(crate) mod value;
pub(crate) mod volume;

use std::collections::{BTreeMap, BTreeSet};

pub use cond::{CmpOp, Comparison, Cond, EvalError};
pub use lifecycle::{ConcurrencyPolicy, EnvSource, Memoize, PodGc, Schedule, Ttl};
pub use piece::{BadToken, Piece, Pieces, TOKEN_END, TOKEN_START};
pub use resources::{NVIDIA_GPU, Resources};
pub use retry::{Attempt, Backoff, Retry, RetryPolicy, go_duration};
pub use step_host::StepHost;
pub use toleration::{TaintEffect, Toleration};
pub use value::{Kind, OutputParamValue, ParamRefValue, Value, item_text};
pub use volume::{Mount, Volume, VolumeSource};

use crate::location::Location;
use pipeline_id::PipelineId;
use value::OutputRef;

/// Where input artifacts are placed in a step's container.
pub const INPUTS_ROOT: &str = "/kpipe/inputs";
/// Where a step writes its output artifacts and parameters.
pub const OUTPUTS_ROOT: &str = "/kpipe/outputs";
/// Output artifact KFP v1 reads metrics from.
pub const KFP_METRICS: &str = "mlpipeline-metrics";
/// Output artifact KFP v1 reads UI metadata (e.g. a confusion matrix) from.
pub const KFP_UI_METADATA: &str = "mlpipeline-ui-metadata";
/// The program every typed step runs unless the pipeline or the step says
/// otherwise.
pub const STEP_PROGRAM: &str = "kpipe-step";
/// The generic KFP v2 artifact type, `system.Artifact`.
pub const KFP_ARTIFACT: &str = "system.Artifact";
/// KFP v2's data-set artifact type.
pub const KFP_DATASET: &str = "system.Dataset";
/// KFP v2's model artifact type.
pub const KFP_MODEL: &str = "system.Model";
/// KFP v2's scalar-metrics artifact type (kpipe's `mlpipeline-metrics` output).
pub const KFP_METRICS_TYPE: &str = "system.Metrics";
/// KFP v2's classification-metrics artifact type (kpipe's
/// `mlpipeline-ui-metadata` output, which holds a confusion matrix).
pub const KFP_CLASSIFICATION_METRICS_TYPE: &str = "system.ClassificationMetrics";

/// A declared pipeline parameter.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParamDecl {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: Kind,
    /// Its default, in the kind's canonical spelling.
    pub default: String,
    /// Where it was declared.
    pub location: Location,
}

/// An artifact a task reads.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InputArtifact {
    /// The input's name on this task.
    pub name: String,
    /// Where the container sees it (`/kpipe/inputs/NAME`).
    pub path: String,
    pub(crate) from: OutputRef,
    /// The artifact type's kind (`dataset`, `model` …).
    pub kind: &'static str,
    /// The KFP v2 schema title (`system.Dataset` …).
    pub kfp_type: &'static str,
}

impl InputArtifact {
    /// The producing task (its index in [`PipelineData::tasks`]) and output.
    pub fn producer(&self) -> (usize, &str) {
        (self.from.task, &self.from.output)
    }

    /// The producing task's name.
    pub fn producer_name(&self) -> &str {
        &self.from.task_name
    }
}

/// An artifact a task writes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OutputArtifact {
    /// Its name.
    pub name: String,
    /// Where the container writes it (`/kpipe/outputs/NAME`).
    pub path: String,
    /// The step may leave it out (KFP's metrics files).
    pub optional: bool,
    /// The KFP v2 schema title (`system.Model` …).
    pub kfp_type: &'static str,
}

/// An output parameter: a small value the step writes to a file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OutputParamDecl {
    /// Its name.
    pub name: String,
    /// The file the step writes it to (`/kpipe/outputs/NAME.param`).
    pub path: String,
}

/// A run-time input of a task: a value it reads when it runs (bound once
/// per value, shared by the arguments, environment and key that use it).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInput {
    /// The input's name ([`Piece::Input`] refers to it).
    pub name: String,
    /// Where its value comes from.
    pub value: Value,
    /// The DSL call that bound it.
    pub location: Location,
}

/// A `withItems`/`withParam` loop.
#[derive(Clone, Debug)]
pub enum Loop {
    /// A fixed list of items.
    Items(Vec<serde_json::Value>),
    /// A JSON list known at run time (a parameter, another step's output).
    Param(Value),
}

/// A reference from one task to another (an explicit `.after()`).
#[derive(Clone, Debug)]
pub(crate) struct TaskLink {
    pub(crate) pipeline: PipelineId,
    pub(crate) index: usize,
    pub(crate) name: String,
}

/// Everything a task's builder methods can set.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Settings {
    /// The task's own image.
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` or `Never`.
    pub image_pull_policy: Option<String>,
    /// Requests and limits.
    pub resources: Resources,
    /// Node labels the task's pod needs.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the task's pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// Environment variables.
    pub env: Vec<(String, EnvSource)>,
    /// Volumes mounted in the container.
    pub mounts: Vec<(Mount, Location)>,
    /// Volumes of this task only.
    pub volumes: Vec<(Volume, Location)>,
    /// Pod annotations.
    pub annotations: BTreeMap<String, String>,
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
    /// Retry strategy.
    pub retry: Option<Retry>,
    /// `activeDeadlineSeconds`.
    pub timeout_seconds: Option<i64>,
    /// Runs only when this holds.
    pub when: Option<(Cond, Location)>,
    /// Runs once per item.
    pub looped: Option<(Loop, Location)>,
    /// Argo memoization, and its key as the task sees it.
    pub memoize: Option<(Memoize, Pieces)>,
    /// The task is never served from a cache (`Task::cache(false)`): KFP's
    /// execution cache is off for it, and a local run always runs it.
    pub no_cache: bool,
    /// The version of the step's code (a local run's cache keys the step
    /// by it instead of by the program's bytes).
    pub code_version: Option<String>,
}

/// One step instance in a pipeline.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskNode {
    /// The task's name.
    pub name: String,
    /// Where it was added.
    pub location: Location,
    /// The program and its leading arguments.
    pub command: Vec<Pieces>,
    /// The command is the pipeline's step program (the step did not name one).
    pub uses_step_program: bool,
    /// The arguments.
    pub args: Vec<Pieces>,
    /// Artifacts it reads.
    pub inputs: Vec<InputArtifact>,
    /// Artifacts it writes.
    pub outputs: Vec<OutputArtifact>,
    /// Output parameters it writes.
    pub output_params: Vec<OutputParamDecl>,
    /// Run-time values it reads.
    pub params: Vec<TaskInput>,
    pub(crate) after: Vec<(TaskLink, Location)>,
    /// Everything else its builder set.
    pub settings: Settings,
    /// Arguments whose placeholders did not decode (validation reports them).
    pub(crate) bad_tokens: Vec<BadToken>,
}

impl TaskNode {
    pub(crate) fn new(
        name: String,
        location: Location,
        command: Vec<Pieces>,
        image: Option<String>,
    ) -> Self {
        Self {
            name,
            location,
            command,
            uses_step_program: false,
            args: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            output_params: Vec::new(),
            params: Vec::new(),
            after: Vec::new(),
            settings: Settings {
                image,
                ..Settings::default()
            },
            bad_tokens: Vec::new(),
        }
    }

    /// Binds `value` as a run-time input of the task (unless it is a
    /// literal) and returns the pieces the container sees.
    pub(crate) fn bind(&mut self, value: &Value, location: Location) -> Pieces {
        let name = match value {
            Value::Literal(s) => return Pieces::text(s.clone()),
            Value::Concat(parts) => {
                let mut out = Pieces::default();
                for p in parts {
                    out.extend(self.bind(p, location));
                }
                return out;
            }
            Value::Retries => return Pieces::one(Piece::Retries),
            Value::Param(p) => p.0.name.clone(),
            Value::Item => "item".to_owned(),
            Value::ItemField(f) => format!("item-{f}"),
            Value::Output(o) => format!("{}-{}", o.0.task_name, o.0.output),
            Value::Collected(o) => format!("{}-{}-all", o.0.task_name, o.0.output),
            Value::WorkflowStatus => "workflow-status".to_owned(),
            Value::WorkflowName => "workflow-name".to_owned(),
        };
        if !self.params.iter().any(|p| p.name == name) {
            self.params.push(TaskInput {
                name: name.clone(),
                value: value.clone(),
                location,
            });
        }
        Pieces::one(Piece::Input(name))
    }

    /// The run-time input `name`.
    pub fn input(&self, name: &str) -> Option<&TaskInput> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Where the container sees the artifact or parameter file a path piece
    /// names (`None` for other pieces, or a name the task does not declare).
    pub fn path_of(&self, piece: &Piece) -> Option<&str> {
        match piece {
            Piece::InputArtifact(n) => self
                .inputs
                .iter()
                .find(|i| &i.name == n)
                .map(|i| i.path.as_str()),
            Piece::OutputArtifact(n) => self
                .outputs
                .iter()
                .find(|o| &o.name == n)
                .map(|o| o.path.as_str()),
            Piece::OutputParam(n) => self
                .output_params
                .iter()
                .find(|o| &o.name == n)
                .map(|o| o.path.as_str()),
            _ => None,
        }
    }

    /// Tasks of the same pipeline this one waits for, by `.after()`.
    pub fn after_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.after.iter().map(|(l, _)| l.index)
    }
}

/// What a [`Pipeline`](crate::Pipeline) records; lowered after validation.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PipelineData {
    pub(crate) id: PipelineId,
    /// Its name.
    pub name: String,
    /// Where it was created.
    pub location: Location,
    /// The name people see.
    pub display_name: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// The image every task runs unless it has its own.
    pub image: Option<String>,
    /// Its parameters.
    pub params: Vec<ParamDecl>,
    /// Its tasks.
    pub tasks: Vec<TaskNode>,
    /// Its exit handlers (at most one is valid).
    pub exits: Vec<TaskNode>,
    /// The pods' service account.
    pub service_account: Option<String>,
    /// Pod garbage collection.
    pub pod_gc: Option<PodGc>,
    /// How long the finished workflow is kept.
    pub ttl: Option<Ttl>,
    /// Volumes every task may mount.
    pub volumes: Vec<(Volume, Location)>,
    /// Its schedule.
    pub schedule: Option<Schedule>,
    /// Workflow labels.
    pub labels: BTreeMap<String, String>,
    /// Workflow annotations.
    pub annotations: BTreeMap<String, String>,
    /// The program typed steps run ([`STEP_PROGRAM`] unless set).
    pub step_program: Vec<String>,
    /// `step_program` was set by the pipeline itself.
    pub step_program_set: bool,
    /// The steps each known step program runs (declared by the app).
    pub step_hosts: Vec<StepHost>,
}

impl PipelineData {
    /// The image task `t` runs: its own, else `image_override` (`--image`),
    /// else the pipeline's.
    pub fn image_of<'a>(
        &'a self,
        t: &'a TaskNode,
        image_override: Option<&'a str>,
    ) -> Option<&'a str> {
        t.settings
            .image
            .as_deref()
            .or(image_override)
            .or(self.image.as_deref())
    }

    /// Whether `pipeline`'s task `task` is one of this pipeline's tasks.
    pub(crate) fn owns(&self, pipeline: PipelineId, task: usize) -> bool {
        pipeline == self.id && task < self.tasks.len()
    }

    /// For each task, the tasks it waits for.
    pub fn dependencies(&self) -> Vec<BTreeSet<usize>> {
        deps::dependencies(self)
    }

    /// Tasks by topological layer, then name (the order every target lists
    /// them in).
    pub fn order(&self) -> Vec<usize> {
        let names: Vec<&str> = self.tasks.iter().map(|t| t.name.as_str()).collect();
        deps::layered_order(&names, &self.dependencies())
    }

    /// The declared parameter `name`.
    pub fn param(&self, name: &str) -> Option<&ParamDecl> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The task named `name` (tasks first, then exit handlers).
    pub fn task(&self, name: &str) -> Option<&TaskNode> {
        self.tasks
            .iter()
            .chain(&self.exits)
            .find(|t| t.name == name)
    }

    /// The pipeline's parameters as the binder takes them.
    pub fn param_specs(&self) -> Vec<bind::ParamSpec> {
        self.params
            .iter()
            .map(|p| bind::ParamSpec {
                name: p.name.clone(),
                kind: p.kind.into(),
                default: Some(p.default.clone()),
            })
            .collect()
    }
}
