//! The step contract: how a typed step declares its inputs, outputs and
//! command line.
//!
//! A step is a Rust value whose fields are its inputs (typed [`Artifact`]s,
//! [`Value`]s, plain settings). [`Step::wire`] turns it into the argument
//! struct of its command line (the same struct the step binary parses with
//! clap) plus typed handles to its outputs. [`ToArgs`] renders that struct, so
//! the container's `args` and the binary's parser share one definition.

use std::path::PathBuf;

use crate::dsl::arg::Arg;
use crate::dsl::artifact::{Artifact, ArtifactType};
use crate::dsl::output_param::OutputParam;
use crate::dsl::param::{Param, ParamType};
use crate::ir::pipeline_id::PipelineId;
use crate::ir::value::OutputRef;
use crate::ir::{
    INPUTS_ROOT, InputArtifact, KFP_CLASSIFICATION_METRICS_TYPE, KFP_METRICS, KFP_METRICS_TYPE,
    KFP_UI_METADATA, OUTPUTS_ROOT, OutputArtifact, OutputParamDecl, Piece, TaskNode, Value,
};
use crate::location::Location;

/// A step of a pipeline: its inputs are its fields, [`Step::wire`] declares
/// them and builds its command line.
pub trait Step {
    /// The parsed command line of the step (a clap struct in the binary).
    type Args: ToArgs;
    /// Typed handles to the step's outputs.
    type Outputs;
    /// The step's default task name (its subcommand for kpipe steps).
    fn name(&self) -> String;

    /// Declares inputs and outputs on `io` and returns the command line and
    /// the output handles.
    fn wire(self, io: &mut Io<'_>) -> (Self::Args, Self::Outputs);

    /// The program the container runs; `args` follow it. Empty (the
    /// default): the pipeline's step program ([`Pipeline::step_program`](crate::Pipeline::step_program),
    /// [`STEP_PROGRAM`](crate::STEP_PROGRAM) unless set).
    fn command(&self) -> Vec<String> {
        Vec::new()
    }

    /// The step's own image; `None` uses the pipeline's image.
    fn image(&self) -> Option<String> {
        None
    }

    /// The version of the step's code ([`Task::code_version`](crate::Task::code_version));
    /// `None`: the program's bytes decide.
    fn code_version(&self) -> Option<String> {
        None
    }
}

/// Renders a step's argument struct as the container's `args`.
///
/// Derive it (`#[derive(kpipe::ToArgs)]`, from the same clap struct the
/// step binary parses) rather than writing it: the derive keeps the two
/// equal field by field.
pub trait ToArgs {
    /// Writes the options, flags and positionals (no subcommand).
    fn write_args(&self, w: &mut ArgsWriter);

    /// The arguments after the program name (with the subcommand, for a
    /// step's arguments).
    fn to_args(&self) -> Vec<String> {
        let mut w = ArgsWriter::default();
        self.write_args(&mut w);
        w.finish()
    }
}

/// Plain argument lists (for steps that run arbitrary programs): written
/// as they are.
impl ToArgs for Vec<String> {
    fn write_args(&self, w: &mut ArgsWriter) {
        for a in self {
            w.raw(a);
        }
    }
}

/// Collects an argument list in kpipe's canonical form: options as a single
/// `--name=value` token (robust for empty values and values starting with
/// `-`), flags as `--name`, positionals last after `--`. Written by
/// `#[derive(ToArgs)]`.
#[derive(Debug, Default)]
pub struct ArgsWriter {
    args: Vec<String>,
    positionals: Vec<String>,
}

impl ArgsWriter {
    /// Starts with a subcommand.
    pub fn new(subcommand: &str) -> Self {
        Self {
            args: vec![subcommand.to_owned()],
            positionals: Vec::new(),
        }
    }

    /// `FLAG=value`, e.g. `option("--seed", "7".into())` → `--seed=7`.
    pub fn option(&mut self, flag: &str, value: String) {
        self.args.push(format!("{flag}={value}"));
    }

    /// `FLAG`.
    pub fn flag(&mut self, flag: &str) {
        self.args.push(flag.to_owned());
    }

    /// A positional argument (written after `--`, after every option).
    pub fn positional(&mut self, value: String) {
        self.positionals.push(value);
    }

    /// A token as it is.
    pub fn raw(&mut self, token: &str) {
        self.args.push(token.to_owned());
    }

    /// The finished list.
    pub fn finish(mut self) -> Vec<String> {
        if !self.positionals.is_empty() {
            self.args.push("--".to_owned());
            self.args.append(&mut self.positionals);
        }
        self.args
    }
}

/// What a step declares while it is wired into a pipeline: the artifacts it
/// reads and writes, and the run-time values it uses.
#[derive(Debug)]
pub struct Io<'a> {
    pub(crate) node: &'a mut TaskNode,
    pub(crate) pipeline: PipelineId,
    pub(crate) pipeline_name: &'a str,
    pub(crate) index: usize,
}

impl Io<'_> {
    /// Consumes `artifact` as input `name`; returns where it appears in the
    /// container.
    pub fn input<T: ArtifactType>(&mut self, name: &str, artifact: &Artifact<T>) -> PathBuf {
        self.input_ref(name, artifact.source.clone(), T::KIND, T::KFP_TYPE)
    }

    pub(crate) fn input_ref(
        &mut self,
        name: &str,
        from: OutputRef,
        kind: &'static str,
        kfp_type: &'static str,
    ) -> PathBuf {
        self.node.inputs.push(InputArtifact {
            name: name.to_owned(),
            path: format!("{INPUTS_ROOT}/{name}"),
            from,
            kind,
            kfp_type,
        });
        PathBuf::from(Piece::InputArtifact(name.to_owned()).token())
    }

    /// Declares output `name` of type `T`; returns where the step must write it
    /// and the handle later steps consume.
    pub fn output<T: ArtifactType>(&mut self, name: &str) -> (PathBuf, Artifact<T>) {
        self.node.outputs.push(OutputArtifact {
            name: name.to_owned(),
            path: format!("{OUTPUTS_ROOT}/{name}"),
            optional: false,
            kfp_type: T::KFP_TYPE,
        });
        let path = PathBuf::from(Piece::OutputArtifact(name.to_owned()).token());
        (path, Artifact::new(self.output_ref(name)))
    }

    /// Declares output parameter `name` holding a `T` (text for untyped
    /// outputs: `OutputParam<String>`), read from a file the step writes;
    /// returns the file's path and the handle later steps read.
    pub fn output_param<T>(&mut self, name: &str) -> (PathBuf, OutputParam<T>) {
        self.node.output_params.push(OutputParamDecl {
            name: name.to_owned(),
            path: format!("{OUTPUTS_ROOT}/{name}.param"),
        });
        (
            PathBuf::from(Piece::OutputParam(name.to_owned()).token()),
            OutputParam::new(self.output_ref(name)),
        )
    }

    /// The string the step sees for `value`: literals as they are, run-time
    /// values as placeholders each target fills in its own way.
    pub fn value(&mut self, value: &Value) -> String {
        let location = self.node.location;
        self.node.bind(value, location).tokens()
    }

    /// A typed argument bound to pipeline parameter `param`: the step binary
    /// parses it as `T`, so the parameter's type and the argument's agree.
    pub fn arg<T: ParamType>(&mut self, param: &Param<T>) -> Arg<T> {
        Arg::placeholder(self.value(&Value::from(param)))
    }

    /// A typed argument bound to any run-time value (a literal, an output
    /// parameter, a concatenation): the step binary parses it as `T`, so a
    /// value that is not a `T` fails the step at its start, naming the flag.
    pub fn arg_value<T>(&mut self, value: impl Into<Value>) -> Arg<T> {
        Arg::placeholder(self.value(&value.into()))
    }

    /// Declares the KFP metrics file (`mlpipeline-metrics`, a `system.Metrics`
    /// artifact in KFP v2) that the step may leave out; returns its path.
    /// KFP v2 requires every declared output, so `--target kfp` warns
    /// (`kfp-loss`): use [`Io::kfp_metrics_always`] when the step writes it
    /// on every success.
    pub fn kfp_metrics(&mut self) -> PathBuf {
        self.kfp_file(KFP_METRICS, KFP_METRICS_TYPE, true)
    }

    /// Declares the KFP metrics file, which the step writes on every
    /// success: a required output on every target (no KFP warning; Argo and
    /// a local run fail the step when it is missing). Returns its path.
    pub fn kfp_metrics_always(&mut self) -> PathBuf {
        self.kfp_file(KFP_METRICS, KFP_METRICS_TYPE, false)
    }

    /// Declares the KFP UI metadata file (`mlpipeline-ui-metadata`, a
    /// `system.ClassificationMetrics` artifact in KFP v2) that the step may
    /// leave out; returns its path. See [`Io::kfp_metrics`] and
    /// [`Io::kfp_ui_metadata_always`].
    pub fn kfp_ui_metadata(&mut self) -> PathBuf {
        self.kfp_file(KFP_UI_METADATA, KFP_CLASSIFICATION_METRICS_TYPE, true)
    }

    /// Declares the KFP UI metadata file, which the step writes on every
    /// success (see [`Io::kfp_metrics_always`]). Returns its path.
    pub fn kfp_ui_metadata_always(&mut self) -> PathBuf {
        self.kfp_file(KFP_UI_METADATA, KFP_CLASSIFICATION_METRICS_TYPE, false)
    }

    /// KFP v2's executor input as an argument value: [`KFP_EXECUTOR_INPUT`](crate::KFP_EXECUTOR_INPUT)
    /// (`{{$}}`), which KFP's launcher replaces with the task's
    /// `ExecutorInput` JSON. It holds what only the launcher knows: each
    /// output artifact's type and URI, and `outputs.outputFile`, where the
    /// step may write an `ExecutorOutput` (artifact metadata such as the
    /// scalar metrics and ROC curve the KFP v2 UI draws). KFP 2.17's launcher
    /// substitutes `{{$}}` in the command line but not the SDK's
    /// `{{$.outputs.output_file}}`, so the file is only known through this.
    ///
    /// Only the KFP target has it: the Argo target (and so `kpipe run
    /// --local`) leaves out every argument of this step that carries it, so
    /// pass it through an optional flag.
    pub fn kfp_executor_input(&mut self) -> String {
        Piece::ExecutorInput.token()
    }

    fn kfp_file(&mut self, name: &str, kfp_type: &'static str, optional: bool) -> PathBuf {
        self.node.outputs.push(OutputArtifact {
            name: name.to_owned(),
            path: format!("{OUTPUTS_ROOT}/{name}.json"),
            optional,
            kfp_type,
        });
        PathBuf::from(Piece::OutputArtifact(name.to_owned()).token())
    }

    fn output_ref(&self, name: &str) -> OutputRef {
        OutputRef {
            pipeline: self.pipeline,
            pipeline_name: self.pipeline_name.to_owned(),
            task: self.index,
            task_name: self.node.name.clone(),
            output: name.to_owned(),
        }
    }

    /// Where the step was added, for diagnostics of custom steps.
    pub fn location(&self) -> Location {
        self.node.location
    }
}
