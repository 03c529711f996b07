//! The graph IR a `Pipeline` records: tasks, their inputs, outputs and
//! settings. Validation, the graph algorithms and every target read it; only
//! the builders (`pipeline.rs`, `task.rs`, `step.rs`) write it.

use std::collections::BTreeMap;

use crate::artifact::OutputRef;
use crate::condition::Cond;
use crate::lifecycle::{EnvSource, Memoize, PodGc, Schedule, Ttl};
use crate::location::Location;
use crate::param::Value;
use crate::pipeline_id::PipelineId;
use crate::resources::Resources;
use crate::retry::Retry;
use crate::toleration::Toleration;
use crate::volume::{Mount, Volume};

/// A declared pipeline parameter.
#[derive(Clone, Debug)]
pub(crate) struct ParamDecl {
    pub(crate) name: String,
    pub(crate) kfp_type: &'static str,
    pub(crate) default: String,
    pub(crate) location: Location,
}

#[derive(Clone, Debug)]
pub(crate) struct InputArtifact {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) from: OutputRef,
    pub(crate) kind: &'static str,
    /// The KFP v2 schema title (`system.Dataset` …).
    pub(crate) kfp_type: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct OutputArtifact {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) optional: bool,
    /// The KFP v2 schema title (`system.Model` …).
    pub(crate) kfp_type: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct OutputParamDecl {
    pub(crate) name: String,
    pub(crate) path: String,
}

/// A template input parameter and the value the DAG task passes to it.
#[derive(Clone, Debug)]
pub(crate) struct TemplateParam {
    pub(crate) name: String,
    pub(crate) value: Value,
    pub(crate) location: Location,
}

/// A `withItems`/`withParam` loop.
#[derive(Clone, Debug)]
pub(crate) enum Loop {
    Items(Vec<serde_json::Value>),
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
pub(crate) struct Settings {
    pub(crate) image: Option<String>,
    pub(crate) image_pull_policy: Option<String>,
    pub(crate) resources: Resources,
    pub(crate) node_selector: BTreeMap<String, String>,
    pub(crate) tolerations: Vec<Toleration>,
    pub(crate) env: Vec<(String, EnvSource)>,
    pub(crate) mounts: Vec<(Mount, Location)>,
    pub(crate) volumes: Vec<(Volume, Location)>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) retry: Option<Retry>,
    pub(crate) timeout_seconds: Option<i64>,
    pub(crate) when: Option<(Cond, Location)>,
    pub(crate) looped: Option<(Loop, Location)>,
    pub(crate) memoize: Option<(Memoize, String)>,
}

/// One step instance in a pipeline.
#[derive(Clone, Debug)]
pub(crate) struct TaskNode {
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) command: Vec<String>,
    /// The command is the pipeline's step program (the step did not name one).
    pub(crate) uses_step_program: bool,
    pub(crate) args: Vec<String>,
    /// Arguments that carry KFP's `{{$}}` (`Io::kfp_executor_input`) are
    /// KFP-only: the Argo target leaves them out. (Named in text, not linked:
    /// the IR does not depend on the step module.)
    pub(crate) kfp_only_args: bool,
    pub(crate) inputs: Vec<InputArtifact>,
    pub(crate) outputs: Vec<OutputArtifact>,
    pub(crate) output_params: Vec<OutputParamDecl>,
    pub(crate) params: Vec<TemplateParam>,
    pub(crate) after: Vec<(TaskLink, Location)>,
    pub(crate) settings: Settings,
}

impl TaskNode {
    pub(crate) fn new(
        name: String,
        location: Location,
        command: Vec<String>,
        image: Option<String>,
    ) -> Self {
        Self {
            name,
            location,
            command,
            uses_step_program: false,
            args: Vec::new(),
            kfp_only_args: false,
            inputs: Vec::new(),
            outputs: Vec::new(),
            output_params: Vec::new(),
            params: Vec::new(),
            after: Vec::new(),
            settings: Settings {
                image,
                ..Settings::default()
            },
        }
    }

    /// Binds `value` as a template input parameter (unless it is a literal)
    /// and returns what the container sees.
    pub(crate) fn bind(&mut self, value: &Value, location: Location) -> String {
        let name = match value {
            Value::Literal(s) => return s.clone(),
            Value::Concat(parts) => {
                return parts.iter().map(|p| self.bind(p, location)).collect();
            }
            Value::Param(p) => p.0.name.clone(),
            Value::Item => "item".to_owned(),
            Value::ItemField(f) => format!("item-{f}"),
            Value::Output(o) => format!("{}-{}", o.0.task_name, o.0.output),
            Value::WorkflowStatus => "workflow-status".to_owned(),
            Value::WorkflowName => "workflow-name".to_owned(),
        };
        if !self.params.iter().any(|p| p.name == name) {
            self.params.push(TemplateParam {
                name: name.clone(),
                value: value.clone(),
                location,
            });
        }
        format!("{{{{inputs.parameters.{name}}}}}")
    }
}

/// What a `Pipeline` records; lowered to Argo after validation.
#[derive(Debug)]
pub(crate) struct PipelineData {
    pub(crate) id: PipelineId,
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) display_name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) params: Vec<ParamDecl>,
    pub(crate) tasks: Vec<TaskNode>,
    pub(crate) exits: Vec<TaskNode>,
    pub(crate) service_account: Option<String>,
    pub(crate) pod_gc: Option<PodGc>,
    pub(crate) ttl: Option<Ttl>,
    pub(crate) volumes: Vec<(Volume, Location)>,
    pub(crate) schedule: Option<Schedule>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    /// The program typed steps run ([`STEP_PROGRAM`](crate::STEP_PROGRAM) unless set).
    pub(crate) step_program: Vec<String>,
    /// `step_program` was set by the pipeline itself.
    pub(crate) step_program_set: bool,
}

impl PipelineData {
    /// The image task `t` runs: its own, else `image_override` (`--image`),
    /// else the pipeline's.
    pub(crate) fn image_of<'a>(
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
}
