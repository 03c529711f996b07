//! kpipe's pipeline compiler: a typed Rust DSL compiled to Argo Workflow YAML.
//!
//! The stages, one module per arrow:
//!
//! ```text
//! DSL (Pipeline, Step, Artifact<T>, Param<T>)  pipeline.rs, task.rs, step.rs
//!   │ build: every call records its caller's file:line
//!   ▼
//! IR (TaskNode list)  ──graph.rs──▶ dependencies, cycles, stable order
//!   │                  ──svg/ + layout/──▶ `kpipe graph --format svg`
//!   │ validate.rs: gathers *all* problems as Diagnostics
//!   ▼
//! Argo model (argo.rs serde structs)  lower.rs
//!   │ emit.rs: the only module that knows the YAML library
//!   ▼
//! YAML text (byte-deterministic)
//! ```
//!
//! Design decisions:
//! - **Typed edges.** An output is an [`Artifact<T>`]; an input asks for a
//!   specific `T`, so wiring a model into a data-set input does not compile.
//!   Artifact edges imply DAG dependencies; [`Task::after`] adds others.
//! - **One contract per step.** A [`Step`] builds its command-line struct
//!   (the one the step binary parses) and [`ToArgs`] renders it, so compiler
//!   and binary cannot drift.
//! - **No I/O.** The crate reads no files, environment or clock; the vendored
//!   Argo schemas for [`lint`] are compiled in.
//! - **Deterministic.** Maps are ordered, tasks are sorted by topological
//!   layer then name, and nothing time- or random-based is emitted.

#![warn(missing_docs)]

#[allow(missing_docs, unreachable_pub)]
pub mod argo;
mod artifact;
mod condition;
mod container_step;
mod diagnostic;
mod emit;
mod graph;
mod layout;
mod lifecycle;
pub mod lint;
mod location;
mod lower;
mod names;
mod options;
mod param;
mod pipeline;
mod render;
mod resources;
mod retry;
mod step;
mod svg;
mod task;
mod toleration;
mod validate;
mod volume;

pub use artifact::{Artifact, ArtifactType, OutputParam};
pub use condition::Cond;
pub use container_step::{ContainerOutputs, ContainerStep};
pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics};
pub use emit::{YamlError, to_yaml};
pub use lifecycle::{ConcurrencyPolicy, Memoize, PodGc, Schedule, Ttl};
pub use location::Location;
pub use lower::KFP_PIPELINE_SPEC;
pub use options::{ArgoVersion, CompileOptions, OutputKind};
pub use param::{OutputParamValue, Param, ParamRefValue, ParamType, Value};
pub use pipeline::Pipeline;
pub use render::GraphFormat;
pub use resources::{NVIDIA_GPU, Resources};
pub use retry::{Backoff, Retry, RetryPolicy};
pub use step::{
    ArgsWriter, INPUTS_ROOT, Io, KFP_METRICS, KFP_UI_METADATA, OUTPUTS_ROOT, STEP_PROGRAM, Step,
    ToArgs,
};
pub use svg::{EdgeLine, GraphLayout, LabelBox, NodeBox, NodeStyle, SVG_CSS, SvgStyle, TaskState};
pub use task::{AsTask, Task, TaskLinkHandle};
pub use toleration::{TaintEffect, Toleration};
pub use volume::Volume;

/// Why a pipeline did not compile.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The pipeline has problems; each names the DSL call that caused it.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The Argo model could not be written as YAML (a bug in kpipe).
    #[error("could not write the workflow as YAML: {0}")]
    Emit(String),
}

impl Pipeline {
    /// Validates and lowers the pipeline to the Argo model.
    pub fn lower(&self, options: &CompileOptions) -> Result<argo::Manifest, Diagnostics> {
        lower::lower(&self.data.borrow(), options)
    }

    /// Validates, lowers and writes the pipeline as Argo YAML.
    pub fn compile(&self, options: &CompileOptions) -> Result<String, CompileError> {
        let manifest = self.lower(options).map_err(CompileError::Invalid)?;
        emit::to_yaml(&manifest).map_err(CompileError::Emit)
    }

    /// The task graph as DOT, Mermaid or SVG text.
    pub fn graph(&self, format: GraphFormat) -> String {
        render::render(&self.data.borrow(), format)
    }

    /// The task graph as SVG, each task's node coloured, linked and
    /// annotated as `style` says: for a run report (inline in HTML) or a
    /// standalone file. Never fails: an invalid pipeline (a cycle, a
    /// reference to another pipeline) is still drawn.
    pub fn render_svg(&self, style: &SvgStyle) -> String {
        svg::render(&self.data.borrow(), style)
    }

    /// Where [`Pipeline::render_svg`] puts every box, edge and label.
    pub fn graph_layout(&self, style: &SvgStyle) -> GraphLayout {
        svg::layout(&self.data.borrow(), style)
    }
}
