//! Validation problems, each tied to the DSL call that caused it.
//!
//! All wording lives in [`DiagnosticKind`]'s match arms, so it is reviewed in
//! one place; tests compare kinds, snapshots pin the rendered text.

use std::fmt;

mod kfp_feature;

use crate::location::Location;
pub use kfp_feature::KfpFeature;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The pipeline does not compile.
    Error,
    /// The pipeline compiles, but something is lost or changed (KFP target).
    Warning,
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The pipeline has no steps.
    EmptyPipeline {
        /// Pipeline name.
        pipeline: String,
    },
    /// A name Kubernetes or Argo would reject.
    InvalidName {
        /// What carries the name (`step`, `pipeline`, `volume` …).
        what: &'static str,
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Two things of the same kind share a name.
    Duplicate {
        /// What is duplicated.
        what: &'static str,
        /// The name.
        name: String,
        /// Where the first one was declared.
        first: Location,
    },
    /// Steps depend on each other in a circle.
    Cycle {
        /// The steps along the cycle, the first repeated at the end.
        path: Vec<String>,
    },
    /// A step consumes an artifact no step of this pipeline produces.
    ArtifactNotProduced {
        /// Consuming step.
        task: String,
        /// Input name on the consuming step.
        input: String,
        /// Producing step and pipeline as recorded on the handle.
        producer: String,
        /// Pipeline the handle came from.
        producer_pipeline: String,
    },
    /// A step uses a parameter the pipeline does not declare.
    UndeclaredParam {
        /// Step.
        task: String,
        /// Parameter name.
        param: String,
    },
    /// A step's `when` reads a parameter the pipeline does not declare.
    WhenUnknownParam {
        /// Step.
        task: String,
        /// Parameter name.
        param: String,
    },
    /// A step mounts a volume nobody declares.
    MountWithoutVolume {
        /// Step.
        task: String,
        /// Volume name.
        volume: String,
    },
    /// `.after()` names a step of another pipeline.
    ForeignDependency {
        /// Step.
        task: String,
        /// The step waited for.
        other: String,
    },
    /// A step reads the loop item but has no loop.
    ItemWithoutLoop {
        /// Step.
        task: String,
    },
    /// The exit handler consumes artifacts, which Argo cannot pass to it.
    ExitHandlerInputs {
        /// Exit handler step.
        task: String,
    },
    /// More than one exit handler.
    SeveralExitHandlers {
        /// The extra handler.
        task: String,
    },
    /// A step has no image: neither its own, the pipeline's nor `--image`.
    NoImage {
        /// Step.
        task: String,
    },
    /// A CronWorkflow was requested but the pipeline has no schedule.
    NoSchedule {
        /// Pipeline name.
        pipeline: String,
    },
    /// A `when` compares values in a way that cannot hold: a parameter of
    /// another type, a literal that is not of the comparison's type, an
    /// ordering of text, or only constants that are never equal.
    ConditionType {
        /// Step.
        task: String,
        /// What is wrong, e.g. "compares integer parameter `rows` as text".
        detail: String,
    },
    /// An argument holds a kpipe placeholder (a path or value from `Io`)
    /// that was cut apart.
    BrokenPlaceholder {
        /// Step.
        task: String,
        /// The argument, the placeholder's characters shown as `<?>`.
        text: String,
    },
    /// `Value::Retries` read where no attempt exists: a `when`, a loop, a
    /// memoization key or another step's argument list.
    RetriesOutsideStep {
        /// Step.
        task: String,
        /// Where it was read.
        place: &'static str,
    },
    /// A typed step runs the pipeline's step program, which does not run
    /// that step: nobody registered its implementation.
    UnregisteredStep {
        /// Step (task) name.
        task: String,
        /// The step: the subcommand the program is given.
        step: String,
        /// The step program (`fraud step`).
        program: String,
        /// The steps the program runs.
        hosted: Vec<String>,
    },
    /// A loop step's output read as one value (each item writes its own:
    /// collect them), or a step that is not a loop collected.
    LoopOutput {
        /// Step.
        task: String,
        /// The output, `producer.output`.
        output: String,
        /// Whether the producer loops (else it was collected without a loop).
        looped: bool,
        /// An artifact (which cannot be collected) rather than a parameter.
        artifact: bool,
    },
    /// A feature Kubeflow Pipelines v2 cannot express: an error, or a warned
    /// loss (see [`KfpFeature::is_error`]).
    Kfp {
        /// The step, or `None` for a pipeline-level feature.
        task: Option<String>,
        /// What cannot be expressed.
        feature: KfpFeature,
    },
}

impl DiagnosticKind {
    /// A stable short code, shown as `error[kpipe::CODE]`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyPipeline { .. } => "empty-pipeline",
            Self::InvalidName { .. } => "invalid-name",
            Self::Duplicate { .. } => "duplicate-name",
            Self::Cycle { .. } => "cycle",
            Self::ArtifactNotProduced { .. } => "artifact-not-produced",
            Self::UndeclaredParam { .. } => "undeclared-param",
            Self::WhenUnknownParam { .. } => "when-unknown-param",
            Self::MountWithoutVolume { .. } => "mount-without-volume",
            Self::ForeignDependency { .. } => "foreign-dependency",
            Self::ItemWithoutLoop { .. } => "item-without-loop",
            Self::ExitHandlerInputs { .. } => "exit-handler-inputs",
            Self::SeveralExitHandlers { .. } => "several-exit-handlers",
            Self::NoImage { .. } => "no-image",
            Self::NoSchedule { .. } => "no-schedule",
            Self::ConditionType { .. } => "condition-type",
            Self::BrokenPlaceholder { .. } => "broken-placeholder",
            Self::RetriesOutsideStep { .. } => "retries-outside-step",
            Self::UnregisteredStep { .. } => "unregistered-step",
            Self::LoopOutput { .. } => "loop-output",
            Self::Kfp { feature, .. } if feature.is_error() => "kfp-unsupported",
            Self::Kfp { .. } => "kfp-loss",
        }
    }

    /// Whether this stops the compile.
    pub fn severity(&self) -> Severity {
        match self {
            Self::Kfp { feature, .. } if !feature.is_error() => Severity::Warning,
            _ => Severity::Error,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::EmptyPipeline { pipeline } => format!("pipeline `{pipeline}` has no steps"),
            Self::InvalidName { what, name, reason } => {
                format!("{what} name `{name}` is invalid: {reason}")
            }
            Self::Duplicate { what, name, .. } => format!("two {what}s are named `{name}`"),
            Self::Cycle { path } => format!("steps form a cycle: {}", path.join(" → ")),
            Self::ArtifactNotProduced {
                task,
                input,
                producer,
                producer_pipeline,
            } => format!(
                "step `{task}` consumes artifact `{producer}` (input `{input}`) that no step of this pipeline produces; it belongs to pipeline `{producer_pipeline}`"
            ),
            Self::UndeclaredParam { task, param } => {
                format!("step `{task}` uses parameter `{param}` that the pipeline does not declare")
            }
            Self::WhenUnknownParam { task, param } => format!(
                "the `when` condition of step `{task}` reads parameter `{param}` that the pipeline does not declare"
            ),
            Self::MountWithoutVolume { task, volume } => {
                format!("step `{task}` mounts volume `{volume}` that is not declared")
            }
            Self::ForeignDependency { task, other } => {
                format!("step `{task}` waits for step `{other}` of another pipeline")
            }
            Self::ItemWithoutLoop { task } => {
                format!("step `{task}` reads the loop item but has no loop")
            }
            Self::ExitHandlerInputs { task } => {
                format!("exit handler `{task}` consumes artifacts")
            }
            Self::SeveralExitHandlers { task } => {
                format!("exit handler `{task}` replaces an earlier one")
            }
            Self::NoImage { task } => format!("step `{task}` has no image"),
            Self::NoSchedule { pipeline } => {
                format!("pipeline `{pipeline}` has no schedule, so it cannot become a CronWorkflow")
            }
            Self::ConditionType { task, detail } => {
                format!("the `when` condition of step `{task}` {detail}")
            }
            Self::BrokenPlaceholder { task, text } => {
                format!("an argument of step `{task}` holds a broken kpipe placeholder: `{text}`")
            }
            Self::RetriesOutsideStep { task, place } => {
                format!("step `{task}` reads the attempt number (`Value::Retries`) in its {place}")
            }
            Self::UnregisteredStep {
                task,
                step,
                program,
                hosted,
            } => {
                let which = if task == step {
                    format!("step `{step}`")
                } else {
                    format!("step `{task}` (`{step}`)")
                };
                let runs = if hosted.is_empty() {
                    "no steps".to_owned()
                } else {
                    hosted
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "{which} runs `{program} {step}`, but no `{step}` is registered there: `{program}` runs {runs}"
                )
            }
            Self::LoopOutput {
                task,
                output,
                looped: true,
                artifact: false,
            } => format!(
                "step `{task}` reads `{output}` as one value, but every item of the loop writes its own"
            ),
            Self::LoopOutput {
                task,
                output,
                looped: true,
                artifact: true,
            } => format!(
                "step `{task}` consumes artifact `{output}`, but every item of the loop writes its own and artifacts cannot be collected"
            ),
            Self::LoopOutput { task, output, .. } => format!(
                "step `{task}` collects `{output}` from every item of a loop, but that step is not a loop"
            ),
            Self::Kfp {
                task: Some(task),
                feature,
            } => format!("step `{task}` (target kfp): {}", feature.message()),
            Self::Kfp {
                task: None,
                feature,
            } => format!("pipeline (target kfp): {}", feature.message()),
        }
    }

    fn help(&self) -> String {
        match self {
            Self::EmptyPipeline { .. } => "add a step with `p.add(…)`".to_owned(),
            Self::InvalidName { what, .. } if *what == "parameter" || *what == "artifact" => {
                "use letters, digits, `-` and `_`, starting with a letter, digit or `_`".to_owned()
            }
            Self::InvalidName { .. } => {
                "use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit (DNS-1123 label)".to_owned()
            }
            Self::Duplicate { what, .. } if *what == "step" => {
                "name one of them explicitly with `p.add_named(\"…\", step)`".to_owned()
            }
            Self::Duplicate { .. } => "rename or remove one of them".to_owned(),
            Self::Cycle { .. } => {
                "remove one of the `.after()` calls (or data edges) along the cycle".to_owned()
            }
            Self::ArtifactNotProduced { .. } => {
                "wire an output of a step added to this pipeline".to_owned()
            }
            Self::UndeclaredParam { param, .. } | Self::WhenUnknownParam { param, .. } => {
                format!("declare it with `p.string_param(\"{param}\", default)` on this pipeline")
            }
            Self::MountWithoutVolume { volume, .. } => format!(
                "declare it with `p.volume(Volume::…(\"{volume}\", …))` or `.volume(…)` on the step"
            ),
            Self::ForeignDependency { .. } => {
                "use `.after()` only with steps added to the same pipeline".to_owned()
            }
            Self::ItemWithoutLoop { .. } => {
                "add `.with_items([...])` or `.with_param(…)` to the step".to_owned()
            }
            Self::ExitHandlerInputs { .. } => {
                "pass values instead (e.g. `Value::WorkflowStatus`)".to_owned()
            }
            Self::SeveralExitHandlers { .. } => {
                "call `p.on_exit(…)` once; chain work inside that step".to_owned()
            }
            Self::NoImage { .. } => {
                "set `p.image(…)` on the pipeline, `.image(…)` on the step, or pass `--image`"
                    .to_owned()
            }
            Self::NoSchedule { .. } => {
                "set one with `p.schedule(Schedule::cron(\"0 3 * * *\"))` or pass `--schedule`"
                    .to_owned()
            }
            Self::ConditionType { .. } => {
                "compare a value with one of its own type: `rows.eq(3)`, `threshold.gt(0.5)`, `dry_run.is_false()`, `pr.is_empty()`".to_owned()
            }
            Self::BrokenPlaceholder { .. } => {
                "pass paths and values from `Io` whole (joining them with text is fine, slicing them is not)".to_owned()
            }
            Self::RetriesOutsideStep { .. } => {
                "read it only in the step's own arguments or environment".to_owned()
            }
            Self::UnregisteredStep { step, program, .. } => format!(
                "register the function that runs it in the `Steps` of `{program}`: `.step({})` (an app's are the `Steps` it passes to `App::steps`, e.g. its `steps()`)",
                step.replace('-', "_")
            ),
            Self::LoopOutput {
                looped: true,
                artifact: false,
                ..
            } => "read all of them as a JSON list with `Value::collected(…)` (a fan-in)".to_owned(),
            Self::LoopOutput {
                looped: true,
                artifact: true,
                ..
            } => "have each item write an output parameter and collect those (`Value::collected(…)`), or write the files to a shared volume".to_owned(),
            Self::LoopOutput { .. } => "read the output itself (`Value::from(&output)`)".to_owned(),
            Self::Kfp { feature, .. } => feature.help(),
        }
    }
}

/// One problem, where it was caused, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub kind: DiagnosticKind,
    /// The DSL call that caused it.
    pub location: Location,
}

impl Diagnostic {
    pub(crate) fn new(kind: DiagnosticKind, location: Location) -> Self {
        Self { kind, location }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.kind.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            f,
            "{level}[kpipe::{}]: {}",
            self.kind.code(),
            self.kind.message()
        )?;
        writeln!(f, "  --> {}", self.location)?;
        if let DiagnosticKind::Duplicate { first, .. } = &self.kind {
            writeln!(f, "   = note: first declared at {first}")?;
        }
        writeln!(f, "   = help: {}", self.kind.help())
    }
}

/// Every problem of one pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    pipeline: String,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn new(pipeline: String, items: Vec<Diagnostic>) -> Self {
        Self { pipeline, items }
    }

    /// The problems, in the order the pipeline was built.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        let n = self.items.len();
        write!(
            f,
            "error: pipeline `{}` is invalid: {n} problem{}",
            self.pipeline,
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}
