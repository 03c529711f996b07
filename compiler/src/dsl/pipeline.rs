//! The pipeline builder.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::dsl::param::{Param, ParamType};
use crate::dsl::step::{Io, Step, ToArgs};
use crate::dsl::task::{Slot, Task};
use crate::ir::pipeline_id::PipelineId;
use crate::ir::value::ParamRef;
use crate::ir::{
    ParamDecl, Pieces, PipelineData, PodGc, Schedule, StepHost, TaskNode, Ttl, Volume,
};
use crate::location::Location;

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
                step_program: vec![crate::ir::STEP_PROGRAM.to_owned()],
                step_program_set: false,
                step_hosts: Vec::new(),
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
            kind: T::KIND,
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
    /// `onExit`). It cannot consume artifacts; [`Value::WorkflowStatus`](crate::Value::WorkflowStatus) tells
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
        let mut node = TaskNode::new(name.to_owned(), location, Vec::new(), step.image());
        node.uses_step_program = uses_step_program;
        node.settings.code_version = step.code_version();
        let (args, out) = {
            let mut io = Io {
                node: &mut node,
                pipeline: id,
                pipeline_name: &pipeline_name,
                index,
            };
            step.wire(&mut io)
        };
        // The tokens `Io` handed out become typed pieces again (ir/piece.rs).
        for (text, into_args) in command
            .iter()
            .map(|c| (c.clone(), false))
            .chain(args.to_args().into_iter().map(|a| (a, true)))
        {
            let pieces = Pieces::decode(&text).unwrap_or_else(|bad| {
                node.bad_tokens.push(bad);
                Pieces::text(text)
            });
            if into_args {
                node.args.push(pieces);
            } else {
                node.command.push(pieces);
            }
        }
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
                node.command = program.iter().map(|p| Pieces::text(p.clone())).collect();
            }
        }
        d.step_program = program;
        d.step_program_set |= explicit;
    }

    /// Declares the steps `program` runs (its subcommands). When the
    /// pipeline's typed steps run `program`, validation refuses every task
    /// whose step is not among them, at the line that added it: a step whose
    /// implementation nobody registered never reaches a cluster. An app
    /// (`kpipe::App`) declares its own steps and those of the step programs
    /// it is told about; a pipeline whose step program is not declared is
    /// not checked, nor are steps that run a command of their own.
    pub fn hosted_steps<P: Into<String>, S: Into<String>>(
        &self,
        program: impl IntoIterator<Item = P>,
        steps: impl IntoIterator<Item = S>,
    ) -> &Self {
        let host = StepHost {
            program: program.into_iter().map(Into::into).collect(),
            steps: steps.into_iter().map(Into::into).collect(),
        };
        let mut d = self.data.borrow_mut();
        d.step_hosts.retain(|h| h.program != host.program);
        d.step_hosts.push(host);
        self
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

    /// The declared parameters as the parameter binder takes them.
    pub fn param_specs(&self) -> Vec<crate::ir::bind::ParamSpec> {
        self.data.borrow().param_specs()
    }

    /// The program typed steps run.
    pub fn get_step_program(&self) -> Vec<String> {
        self.data.borrow().step_program.clone()
    }
}
