//! kpipe's pipeline compiler: a typed Rust DSL compiled to Argo Workflow YAML
//! or to Kubeflow Pipelines v2 IR.
//!
//! The stages, one module per arrow:
//!
//! ```text
//! DSL (Pipeline, Step, Artifact<T>, Param<T>)  pipeline.rs, task.rs, step.rs
//!   │ build: every call records its caller's file:line
//!   ▼
//! IR (ir.rs: PipelineData, TaskNode)  ──graph.rs──▶ dependencies, cycles, stable order
//!   │                  ──svg/ + layout/──▶ `kpipe graph --format svg`
//!   │ validate.rs: gathers *all* problems of the chosen Target as Diagnostics
//!   ├──────────────────────────────┐
//!   ▼                              ▼
//! Argo model (argo.rs)  lower.rs   KFP v2 IR (kfp/spec.rs, kfp/platform.rs)  kfp/
//!   │ emit.rs: the only module that knows the YAML library
//!   ▼
//! YAML text (byte-deterministic)
//! ```
//!
//! The module graph has no cycle: the IR (`ir.rs`) depends only on the value
//! types (`param.rs`, `artifact.rs`, `condition.rs` …), the builders and the
//! targets depend on the IR, and nothing below depends on what is above it
//! (a unit test checks this).
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

mod arg;
#[allow(missing_docs, unreachable_pub)]
pub mod argo;
mod artifact;
mod condition;
mod container_step;
mod diagnostic;
mod emit;
mod graph;
mod ir;
mod kfp;
mod kfp_feature;
mod layout;
mod lifecycle;
pub mod lint;
mod location;
mod lower;
mod names;
mod options;
mod param;
mod pipeline;
mod pipeline_id;
mod render;
mod resources;
mod retry;
mod step;
mod svg;
mod task;
mod toleration;
mod validate;
mod volume;

pub use arg::Arg;
pub use artifact::{
    Artifact, ArtifactType, KFP_ARTIFACT, KFP_CLASSIFICATION_METRICS_TYPE, KFP_DATASET,
    KFP_METRICS_TYPE, KFP_MODEL, OutputParam,
};
pub use condition::Cond;
pub use container_step::{ContainerOutputs, ContainerStep};
pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, Severity};
pub use emit::{YamlError, to_yaml};
pub use kfp::Compiled;
pub use kfp_feature::KfpFeature;
pub use lifecycle::{ConcurrencyPolicy, Memoize, PodGc, Schedule, Ttl};
pub use location::Location;
pub use lower::KFP_PIPELINE_SPEC;
pub use options::{ArgoVersion, CompileOptions, KfpOptions, OutputKind, Target};
pub use param::{OutputParamValue, Param, ParamRefValue, ParamType, Value};
pub use pipeline::Pipeline;
pub use render::GraphFormat;
pub use resources::{NVIDIA_GPU, Resources};
pub use retry::{Backoff, Retry, RetryPolicy};
pub use step::{
    ArgsWriter, INPUTS_ROOT, Io, KFP_EXECUTOR_INPUT, KFP_METRICS, KFP_UI_METADATA, OUTPUTS_ROOT,
    STEP_PROGRAM, Step, ToArgs,
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

    /// Validates and writes the pipeline as Kubeflow Pipelines v2 IR: a
    /// `PipelineSpec` document and, when tasks have Kubernetes settings,
    /// `---` and a `PlatformSpec` document. What KFP cannot express is an
    /// error ([`KfpFeature::is_error`]) or comes back as a warning.
    pub fn compile_kfp(&self, options: &KfpOptions) -> Result<Compiled, CompileError> {
        let warnings = self
            .validate_for(&Target::Kfp(options.clone()))
            .map_err(CompileError::Invalid)?;
        let (spec, platform) = kfp::lower::lower(&self.data.borrow(), options);
        let mut yaml = emit::to_yaml(&spec).map_err(CompileError::Emit)?;
        if let Some(platform) = platform {
            yaml.push_str("---\n");
            yaml.push_str(&emit::to_yaml(&platform).map_err(CompileError::Emit)?);
        }
        Ok(Compiled { yaml, warnings })
    }

    /// Compiles for `target`: Argo YAML (no warnings) or KFP IR.
    pub fn compile_for(&self, target: &Target) -> Result<Compiled, CompileError> {
        match target {
            Target::Argo(options) => self.compile(options).map(|yaml| Compiled {
                yaml,
                warnings: Vec::new(),
            }),
            Target::Kfp(options) => self.compile_kfp(options),
        }
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The crate's top-level modules and the modules each one names with
    /// `crate::module` (re-exports at the root are not edges).
    fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut visit = |module: String, text: String| {
            let uses = graph.entry(module.clone()).or_default();
            for (i, _) in text.match_indices("crate::") {
                let name: String = text[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    uses.insert(name);
                }
            }
        };
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                panic!("cannot list {}", dir.display());
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(rel) = path.strip_prefix(&src) else {
                    continue;
                };
                let top = rel
                    .components()
                    .next()
                    .and_then(|c| c.as_os_str().to_str())
                    .map(|s| s.trim_end_matches(".rs").to_owned())
                    .unwrap_or_default();
                if top == "lib" || path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                visit(top, std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
        graph
    }

    #[test]
    fn module_graph_has_no_cycle() {
        let graph = module_graph();
        assert!(graph.contains_key("ir") && graph.contains_key("pipeline"));
        let names: Vec<&String> = graph.keys().collect();
        let index = |n: &str| names.iter().position(|m| *m == n);
        let deps: Vec<BTreeSet<usize>> = names
            .iter()
            .map(|n| graph[*n].iter().filter_map(|d| index(d)).collect())
            .collect();
        let cycles: Vec<Vec<&String>> = crate::graph::cycles(&deps)
            .into_iter()
            .map(|c| c.into_iter().map(|i| names[i]).collect())
            .collect();
        assert!(cycles.is_empty(), "module cycles: {cycles:?}");
    }
}
