//! The pipeline builder and the intermediate representation it records.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::artifact::OutputRef;
use crate::condition::Cond;
use crate::lifecycle::{EnvSource, Memoize, PodGc, Schedule, Ttl};
use crate::location::Location;
use crate::param::{Param, ParamRef, ParamType, Value};
use crate::resources::Resources;
use crate::retry::Retry;
use crate::step::{Io, Step};
use crate::task::{Slot, Task};
use crate::toleration::Toleration;
use crate::volume::{Mount, Volume};

/// Identity of one `Pipeline` value, so handles from another pipeline are
/// recognised as foreign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PipelineId(u64);

impl PipelineId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

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
}

#[derive(Clone, Debug)]
pub(crate) struct OutputArtifact {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) optional: bool,
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
    pub(crate) inputs: Vec<InputArtifact>,
    pub(crate) outputs: Vec<OutputArtifact>,
    pub(crate) output_params: Vec<OutputParamDecl>,
    pub(crate) params: Vec<TemplateParam>,
    pub(crate) after: Vec<(TaskLink, Location)>,
    pub(crate) settings: Settings,
}

impl TaskNode {
    fn new(name: String, location: Location, command: Vec<String>, image: Option<String>) -> Self {
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

/// A pipeline under construction: parameters, steps and workflow settings.
///
/// ```
/// use kpipe_compiler::{Pipeline, CompileOptions, ContainerStep};
///
/// let p = Pipeline::new("hello");
/// p.image("alpine:3.20");
/// let who = p.string_param("who", "world");
/// p.add(ContainerStep::new("greet", ["echo"]).arg("hello").arg(&who));
/// let yaml = p.compile(&CompileOptions::default()).unwrap();
/// assert!(yaml.contains("generateName: hello-"));
/// ```
///
/// Builder methods record the caller's location (`#[track_caller]`) so
/// [`Pipeline::validate`] reports every problem with the line that caused it.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub(crate) data: Rc<RefCell<PipelineData>>,
}

impl Pipeline {
    /// Starts a pipeline named `name` (a DNS-1123 label: it names the Argo
    /// workflow and its entrypoint template).
    #[track_caller]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            data: Rc::new(RefCell::new(PipelineData {
                id: PipelineId::next(),
                name: name.into(),
                location: Location::caller(),
                display_name: None,
                description: None,
                image: None,
                params: Vec::new(),
                tasks: Vec::new(),
                exits: Vec::new(),
                service_account: None,
                pod_gc: None,
                ttl: None,
                volumes: Vec::new(),
                schedule: None,
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
                step_program: vec![crate::STEP_PROGRAM.to_owned()],
                step_program_set: false,
            })),
        }
    }

    /// The pipeline's name.
    pub fn name(&self) -> String {
        self.data.borrow().name.clone()
    }

    /// The human-readable name shown by Kubeflow Pipelines.
    pub fn display_name(&self, name: impl Into<String>) -> &Self {
        self.data.borrow_mut().display_name = Some(name.into());
        self
    }

    /// A one-paragraph description (KFP shows it; `kpipe compile --list` too).
    pub fn description(&self, text: impl Into<String>) -> &Self {
        self.data.borrow_mut().description = Some(text.into());
        self
    }

    /// The description, if set.
    pub fn get_description(&self) -> Option<String> {
        self.data.borrow().description.clone()
    }

    /// The image every step without its own image runs.
    pub fn image(&self, image: impl Into<String>) -> &Self {
        self.data.borrow_mut().image = Some(image.into());
        self
    }

    /// The service account the workflow's pods run as.
    pub fn service_account(&self, name: impl Into<String>) -> &Self {
        self.data.borrow_mut().service_account = Some(name.into());
        self
    }

    /// When Argo deletes the pods.
    pub fn pod_gc(&self, strategy: PodGc) -> &Self {
        self.data.borrow_mut().pod_gc = Some(strategy);
        self
    }

    /// How long the finished workflow object is kept.
    pub fn ttl(&self, ttl: Ttl) -> &Self {
        self.data.borrow_mut().ttl = Some(ttl);
        self
    }

    /// The schedule used when compiled as a CronWorkflow.
    pub fn schedule(&self, schedule: Schedule) -> &Self {
        self.data.borrow_mut().schedule = Some(schedule);
        self
    }

    /// A label on the workflow object.
    pub fn label(&self, key: impl Into<String>, value: impl Into<String>) -> &Self {
        self.data
            .borrow_mut()
            .labels
            .insert(key.into(), value.into());
        self
    }

    /// An annotation on the workflow object.
    pub fn annotation(&self, key: impl Into<String>, value: impl Into<String>) -> &Self {
        self.data
            .borrow_mut()
            .annotations
            .insert(key.into(), value.into());
        self
    }

    /// A volume every step may mount (with [`Task::mount`]).
    #[track_caller]
    pub fn volume(&self, volume: Volume) -> &Self {
        self.data
            .borrow_mut()
            .volumes
            .push((volume, Location::caller()));
        self
    }

    /// Declares a string parameter with a default value.
    #[track_caller]
    pub fn string_param(&self, name: &str, default: impl Into<String>) -> Param<String> {
        self.declare(name, default.into(), Location::caller())
    }

    /// Declares an integer parameter with a default value.
    #[track_caller]
    pub fn int_param(&self, name: &str, default: i64) -> Param<i64> {
        self.declare(name, default.to_string(), Location::caller())
    }

    /// Declares a floating-point parameter with a default value.
    #[track_caller]
    pub fn float_param(&self, name: &str, default: f64) -> Param<f64> {
        self.declare(name, default.to_string(), Location::caller())
    }

    /// Declares a boolean parameter with a default value.
    #[track_caller]
    pub fn bool_param(&self, name: &str, default: bool) -> Param<bool> {
        self.declare(name, default.to_string(), Location::caller())
    }

    fn declare<T: ParamType>(&self, name: &str, default: String, location: Location) -> Param<T> {
        let mut d = self.data.borrow_mut();
        d.params.push(ParamDecl {
            name: name.to_owned(),
            kfp_type: T::KFP_TYPE,
            default,
            location,
        });
        Param::new(ParamRef {
            pipeline: d.id,
            name: name.to_owned(),
        })
    }

    /// Adds `step` as a task named after the step.
    #[track_caller]
    pub fn add<S: Step>(&self, step: S) -> Task<S::Outputs> {
        let name = step.name();
        let location = Location::caller();
        self.add_at(&name, step, location)
    }

    /// Adds `step` as a task named `name` (to run one step several times).
    #[track_caller]
    pub fn add_named<S: Step>(&self, name: &str, step: S) -> Task<S::Outputs> {
        self.add_at(name, step, Location::caller())
    }

    fn add_at<S: Step>(&self, name: &str, step: S, location: Location) -> Task<S::Outputs> {
        let (node, out, index) = self.wire(name, step, location, false);
        self.data.borrow_mut().tasks.push(node);
        Task::new(out, self.data.clone(), Slot::Task(index))
    }

    /// Runs `step` when the workflow ends, whatever its result (Argo
    /// `onExit`). It cannot consume artifacts; [`Value::WorkflowStatus`] tells
    /// it how the workflow ended.
    #[track_caller]
    pub fn on_exit<S: Step>(&self, step: S) -> Task<S::Outputs> {
        let location = Location::caller();
        let name = step.name();
        let (node, out, _) = self.wire(&name, step, location, true);
        let index = {
            let mut d = self.data.borrow_mut();
            d.exits.push(node);
            d.exits.len() - 1
        };
        Task::new(out, self.data.clone(), Slot::Exit(index))
    }

    fn wire<S: Step>(
        &self,
        name: &str,
        step: S,
        location: Location,
        exit: bool,
    ) -> (TaskNode, S::Outputs, usize) {
        let (id, pipeline_name, index) = {
            let d = self.data.borrow();
            let index = if exit { usize::MAX } else { d.tasks.len() };
            (d.id, d.name.clone(), index)
        };
        let command = step.command();
        let uses_step_program = command.is_empty();
        let command = if uses_step_program {
            self.data.borrow().step_program.clone()
        } else {
            command
        };
        let mut node = TaskNode::new(name.to_owned(), location, command, step.image());
        node.uses_step_program = uses_step_program;
        let (args, out) = {
            let mut io = Io {
                node: &mut node,
                pipeline: id,
                pipeline_name: &pipeline_name,
                index,
            };
            step.wire(&mut io)
        };
        node.args = crate::step::ToArgs::to_args(&args);
        (node, out, index)
    }

    /// The program every typed step runs (its arguments follow), e.g.
    /// `["kpipe-step"]` (the default) or `["fraud", "step"]` for an app whose
    /// binary is also its step runner. Applies to the steps added before and
    /// after; steps that name their own command (a [`ContainerStep`](crate::ContainerStep))
    /// keep it.
    pub fn step_program<S: Into<String>>(&self, program: impl IntoIterator<Item = S>) -> &Self {
        self.set_step_program(program.into_iter().map(Into::into).collect(), true);
        self
    }

    /// Like [`Pipeline::step_program`], unless the pipeline set its own: what
    /// an app uses to point typed steps at itself.
    pub fn default_step_program<S: Into<String>>(
        &self,
        program: impl IntoIterator<Item = S>,
    ) -> &Self {
        if !self.data.borrow().step_program_set {
            self.set_step_program(program.into_iter().map(Into::into).collect(), false);
        }
        self
    }

    fn set_step_program(&self, program: Vec<String>, explicit: bool) {
        let mut d = self.data.borrow_mut();
        let d = &mut *d;
        for node in d.tasks.iter_mut().chain(d.exits.iter_mut()) {
            if node.uses_step_program {
                node.command.clone_from(&program);
            }
        }
        d.step_program = program;
        d.step_program_set |= explicit;
    }

    /// True when the pipeline has a schedule (it compiles to a CronWorkflow).
    pub fn is_scheduled(&self) -> bool {
        self.data.borrow().schedule.is_some()
    }

    /// The declared parameters' names, in declaration order.
    pub fn param_names(&self) -> Vec<String> {
        self.data
            .borrow()
            .params
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// The program typed steps run.
    pub fn get_step_program(&self) -> Vec<String> {
        self.data.borrow().step_program.clone()
    }

    /// Checks the pipeline and returns every problem found, each with the
    /// source line that caused it.
    pub fn validate(&self) -> Result<(), crate::Diagnostics> {
        let diagnostics = crate::validate::validate(&self.data.borrow());
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(crate::Diagnostics::new(self.name(), diagnostics))
        }
    }
}
