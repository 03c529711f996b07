//! What Kubeflow Pipelines v2 cannot express, as errors (the pipeline does
//! not compile for `--target kfp`) or warned losses (it compiles, and the
//! warning says what KFP does instead). The README's "Kubeflow Pipelines v2
//! IR" section lists the same table.

/// A kpipe feature with no exact KFP v2 equivalent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KfpFeature {
    // Errors.
    /// A step reads the attempt number (`Value::Retries`), which KFP v2
    /// does not give a step.
    Retries,
    /// A condition that compares values KFP types differently, or reads the
    /// workflow's name or status.
    Condition {
        /// What cannot be expressed.
        detail: String,
    },
    /// An environment variable set from a run-time value: KFP copies `env`
    /// verbatim and resolves placeholders only in `command` and `args`.
    EnvFromValue {
        /// The variable.
        name: String,
    },
    /// An Argo expression (`{{…}}`) written into the command line or env.
    ArgoExpression {
        /// The expression.
        expr: String,
    },
    /// A path under kpipe's input or output directory that is not one of the
    /// step's artifacts (KFP gives each artifact its own path).
    UndeclaredPath {
        /// The argument that holds it.
        arg: String,
    },
    /// A resource other than CPU, memory and one accelerator kind.
    Resource {
        /// Resource name.
        name: String,
        /// Why.
        detail: String,
    },
    /// A loop KFP cannot iterate (e.g. items of mixed JSON types).
    Loop {
        /// What is wrong.
        detail: String,
    },
    /// An output of a task under `when` or in a loop read by a task outside
    /// it (KFP v2 DAG outputs and fan-in are not generated).
    OutputLeavesGroup {
        /// The producing step.
        producer: String,
        /// The output.
        output: String,
    },
    /// A value the exit handler cannot read (only parameters, the workflow's
    /// name and status reach it).
    ExitHandlerValue {
        /// What it reads.
        detail: String,
    },
    /// `Value::WorkflowStatus` outside the exit handler.
    StatusOutsideExitHandler,
    /// `when` or a loop on the exit handler.
    ExitHandlerControl,
    /// Two pass-through inputs of a DAG get the same KFP name.
    ChannelClash {
        /// The clashing name.
        name: String,
    },

    // Warned losses.
    /// A secret volume's `defaultMode`: KFP 2.17's `SecretAsVolume` has no
    /// mode, so the files get Kubernetes' default 0644.
    SecretDefaultMode {
        /// Volume name.
        volume: String,
        /// The mode kpipe asked for.
        mode: u32,
    },
    /// The workflow's service account: a KFP run uses its namespace's
    /// pipeline runner account.
    ServiceAccount {
        /// The account.
        name: String,
    },
    /// Argo pod garbage collection: KFP decides when pods are deleted.
    PodGc,
    /// Labels or annotations on the workflow object.
    WorkflowMetadata,
    /// The CronWorkflow schedule: KFP schedules with recurring runs, which
    /// are API objects, not part of the IR.
    Schedule,
    /// An Argo retry policy other than `OnFailure`: KFP retries a task when
    /// its container fails.
    RetryPolicy {
        /// The policy.
        policy: &'static str,
    },
    /// A retry backoff with a fraction of a second: KFP's backend hands Argo
    /// the durations' whole seconds only (`Duration.Seconds`).
    BackoffSeconds {
        /// The durations, as the IR writes them (`0.5s`, max `2.5s`).
        durations: String,
    },
    /// Memoization's config map, maximum age or computed key: KFP caches by
    /// its own key over the task's inputs, without expiry.
    Memoize {
        /// What is lost.
        detail: String,
    },
    /// An optional output: KFP requires every declared output.
    OptionalOutput {
        /// The output.
        output: String,
    },
    /// A read-only mount of a volume kind KFP mounts writable.
    ReadOnlyMount {
        /// Volume name.
        volume: String,
    },
    /// The exit handler reads the final status as KFP's
    /// `PipelineTaskFinalStatus` JSON, not Argo's status word.
    FinalStatusFormat,
}

impl KfpFeature {
    /// True when the pipeline cannot compile for KFP; false for a warned loss.
    pub fn is_error(&self) -> bool {
        !matches!(
            self,
            Self::SecretDefaultMode { .. }
                | Self::ServiceAccount { .. }
                | Self::PodGc
                | Self::WorkflowMetadata
                | Self::Schedule
                | Self::RetryPolicy { .. }
                | Self::BackoffSeconds { .. }
                | Self::Memoize { .. }
                | Self::OptionalOutput { .. }
                | Self::ReadOnlyMount { .. }
                | Self::FinalStatusFormat
        )
    }

    /// What cannot be expressed (or what is lost).
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Retries => {
                "it reads the attempt number (`Value::Retries`, Argo's `{{retries}}`), which KFP v2 does not give a step".to_owned()
            }
            Self::Condition { detail } => format!("its `when` {detail}"),
            Self::EnvFromValue { name } => format!(
                "environment variable `{name}` is set from a run-time value; KFP copies `env` verbatim and fills in placeholders only in the command line"
            ),
            Self::ArgoExpression { expr } => {
                format!("its command line or environment holds the Argo expression `{expr}`")
            }
            Self::UndeclaredPath { arg } => format!(
                "argument `{arg}` names kpipe's input or output directory rather than one artifact; KFP gives each artifact its own path"
            ),
            Self::Resource { name, detail } => format!("resource `{name}` {detail}"),
            Self::Loop { detail } => format!("its loop {detail}"),
            Self::OutputLeavesGroup { producer, output } => format!(
                "it reads output `{output}` of step `{producer}` from outside the `when` or loop around `{producer}`"
            ),
            Self::ExitHandlerValue { detail } => format!("the exit handler reads {detail}"),
            Self::StatusOutsideExitHandler => {
                "it reads the workflow status, which only the exit handler can".to_owned()
            }
            Self::ExitHandlerControl => "the exit handler has a `when` or a loop".to_owned(),
            Self::ChannelClash { name } => {
                format!("two values passed into a sub-DAG are both named `{name}`")
            }
            Self::SecretDefaultMode { volume, mode } => format!(
                "secret volume `{volume}` asks for file mode 0{mode:o}; KFP 2.17 cannot set a secret volume's mode, so its files get Kubernetes' default 0644"
            ),
            Self::ServiceAccount { name } => format!(
                "service account `{name}` is not part of the KFP IR; runs use the namespace's pipeline runner account (or the one set on the run)"
            ),
            Self::PodGc => {
                "pod garbage collection is not part of the KFP IR; KFP decides when pods go".to_owned()
            }
            Self::WorkflowMetadata => {
                "labels and annotations of the workflow object are not part of the KFP IR".to_owned()
            }
            Self::Schedule => {
                "the schedule is not part of the KFP IR; KFP runs a pipeline on a schedule through a recurring run".to_owned()
            }
            Self::RetryPolicy { policy } => format!(
                "retry policy `{policy}` is dropped; KFP retries when the container fails (Argo's OnFailure)"
            ),
            Self::BackoffSeconds { durations } => format!(
                "its retry backoff ({durations}) is not in whole seconds; KFP's backend waits whole seconds, dropping the fraction (0.5s waits 0s)"
            ),
            Self::Memoize { detail } => format!(
                "memoization loses its {detail}; KFP caches by a key over the task's inputs and never expires it"
            ),
            Self::OptionalOutput { output } => format!(
                "output `{output}` is optional in Argo but required in KFP: the step must write it"
            ),
            Self::ReadOnlyMount { volume } => {
                format!("volume `{volume}` is mounted writable: KFP has no read-only mount of it")
            }
            Self::FinalStatusFormat => "the exit handler receives the status as KFP's PipelineTaskFinalStatus JSON (`{\"state\": \"SUCCEEDED\", …}`), not Argo's `Succeeded`/`Failed`/`Error`".to_owned(),
        }
    }

    /// How to fix it (errors) or what to do about it (losses).
    pub(crate) fn help(&self) -> String {
        match self {
            Self::Retries => {
                "count attempts in the step itself, or compile this pipeline for Argo only".to_owned()
            }
            Self::Condition { .. } => {
                "build the condition from typed parameters and outputs with `eq`, `ne`, `gt`, `lt`, `and`, `or`, `not`".to_owned()
            }
            Self::EnvFromValue { .. } => {
                "pass the value as an argument instead (`.arg(&param)` or a step field)".to_owned()
            }
            Self::ArgoExpression { .. } => {
                "pass run-time values as `Value`s (`Value::from(&param)`), not as Argo text".to_owned()
            }
            Self::UndeclaredPath { .. } => {
                "pass the path `Io::output`, `Io::input` or `Io::output_param` returned".to_owned()
            }
            Self::Resource { .. } => {
                "request only `cpu`, `memory` and one accelerator (e.g. `nvidia.com/gpu`)".to_owned()
            }
            Self::Loop { .. } => "loop over items of one JSON type".to_owned(),
            Self::OutputLeavesGroup { .. } => {
                "consume it inside the same `when`, or give the consumer the same condition".to_owned()
            }
            Self::ExitHandlerValue { .. } | Self::StatusOutsideExitHandler => {
                "pass pipeline parameters, `Value::WorkflowName` or `Value::WorkflowStatus` to the exit handler only".to_owned()
            }
            Self::ExitHandlerControl => "move the condition into the exit handler's step".to_owned(),
            Self::ChannelClash { .. } => "rename the parameter or the step output".to_owned(),
            Self::SecretDefaultMode { .. } => {
                "a step that needs the mode (ssh refuses a private key others can read) must copy the file to a private one first".to_owned()
            }
            Self::ServiceAccount { .. } => {
                "grant the namespace's pipeline runner account what the pipeline needs".to_owned()
            }
            Self::PodGc => "configure pod GC on the KFP installation".to_owned(),
            Self::WorkflowMetadata => "label the run or experiment instead".to_owned(),
            Self::Schedule => "create a recurring run for the uploaded pipeline".to_owned(),
            Self::RetryPolicy { .. } => "make the step's own failures retryable".to_owned(),
            Self::BackoffSeconds { .. } => {
                "give the backoff's duration and maximum in whole seconds".to_owned()
            }
            Self::Memoize { .. } => "KFP's cache is keyed by inputs, so equal inputs reuse outputs".to_owned(),
            Self::OptionalOutput { .. } => "write the output (empty if need be) on every success".to_owned(),
            Self::ReadOnlyMount { .. } => "do not write to it from the step".to_owned(),
            Self::FinalStatusFormat => {
                "parse the JSON's `state` (SUCCEEDED, FAILED, CANCELLED …)".to_owned()
            }
        }
    }
}
