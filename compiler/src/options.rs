//! How a pipeline is compiled.

/// Which Argo object to produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputKind {
    /// A `Workflow`: submit it to run once.
    #[default]
    Workflow,
    /// A `WorkflowTemplate`: register it, run it by reference.
    WorkflowTemplate,
    /// A `CronWorkflow`: runs on the pipeline's schedule.
    CronWorkflow,
}

/// The Argo Workflows line the output targets, where their schemas differ
/// (CronWorkflow schedules, memoization caches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArgoVersion {
    /// Argo 3.x (Kubeflow Pipelines 1.8 ships 3.1, KFP 2.5 ships 3.5).
    #[default]
    V3,
    /// Argo 4.x.
    V4,
}

/// Options of [`Pipeline::compile`](crate::Pipeline::compile).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// The object to produce.
    pub kind: OutputKind,
    /// Replaces the pipeline's default image (steps with their own image keep it).
    pub image: Option<String>,
    /// Replaces the pipeline's schedule (CronWorkflow only).
    pub schedule: Option<String>,
    /// Argo version to target.
    pub argo: ArgoVersion,
}

/// Options of [`Pipeline::compile_kfp`](crate::Pipeline::compile_kfp): the
/// Kubeflow Pipelines v2 IR target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KfpOptions {
    /// Replaces the pipeline's default image (steps with their own image keep it).
    pub image: Option<String>,
    /// Turns KFP's execution cache off for every task (kfp's
    /// `enable_caching=False` for a run). By default every task is cached,
    /// as kfp compiles it, except those [`Task::cache`](crate::Task::cache)
    /// turned off.
    pub no_cache: bool,
}

/// What a pipeline is compiled to: the target and its options.
///
/// [`Pipeline::validate_for`](crate::Pipeline::validate_for) runs every check
/// the target's compile runs, so the two always agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Argo Workflows YAML ([`Pipeline::compile`](crate::Pipeline::compile)).
    Argo(CompileOptions),
    /// Kubeflow Pipelines v2 IR ([`Pipeline::compile_kfp`](crate::Pipeline::compile_kfp)).
    Kfp(KfpOptions),
}

impl Default for Target {
    fn default() -> Self {
        Self::Argo(CompileOptions::default())
    }
}

impl From<CompileOptions> for Target {
    fn from(options: CompileOptions) -> Self {
        Self::Argo(options)
    }
}

impl From<KfpOptions> for Target {
    fn from(options: KfpOptions) -> Self {
        Self::Kfp(options)
    }
}

impl Target {
    /// The image that replaces the pipeline's default image, if any.
    pub(crate) fn image(&self) -> Option<&str> {
        match self {
            Self::Argo(o) => o.image.as_deref(),
            Self::Kfp(o) => o.image.as_deref(),
        }
    }
}
