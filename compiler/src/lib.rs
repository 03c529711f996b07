//! kpipe's pipeline compiler: a typed Rust DSL compiled to Argo Workflow YAML
//! or to Kubeflow Pipelines v2 IR, and the typed IR a local run executes.
//!
//! The layers, one folder each, every arrow one module:
//!
//! ```text
//! dsl/    Pipeline, Task, Step + Io, ContainerStep, Param<T>, Artifact<T>
//!   │ build: every call records its caller's file:line; Io hands out
//!   │ tokens that come back as typed pieces (ir/piece.rs)
//!   ▼
//! ir/     PipelineData, TaskNode: Pieces, Value, Cond, Retry … — the one
//!   │     typed IR; deps.rs (graph order, cycles), validate.rs (the checks
//!   │     every target shares), bind.rs (-p values, typed)
//!   ├───────────────┬────────────────┬──────────────────────┐
//!   ▼               ▼                ▼                      ▼
//! argo/           kfp/             graph/                 Pipeline::ir()
//! model + lower   plan + lower     DOT, Mermaid,          → the local runner
//! (text.rs: {{…}}, (CEL, KFP       layered SVG            (kpipe crate)
//!  govaluate)      placeholders)
//!   │ emit.rs: the only module that knows the YAML library
//!   ▼
//! YAML text (byte-deterministic)          lint/: checks any Argo or KFP file
//! ```
//!
//! No backend reads another's text: Argo renders the IR's pieces as
//! `{{inputs.parameters.NAME}}`, KFP as `{{$.inputs.parameters['NAME']}}`,
//! the local runner as values and local paths. `diagnostic/` holds every
//! problem's wording (KFP's losses included); nothing in it depends on a
//! target. The module graph has no cycle (a unit test checks this).
//!
//! Design decisions:
//! - **Typed edges.** An output is an [`Artifact<T>`]; an input asks for a
//!   specific `T`, so wiring a model into a data-set input does not compile.
//!   Artifact edges imply DAG dependencies; [`Task::after`] adds others.
//! - **Typed conditions.** A `Param<i64>` compares with integers
//!   (`rows.gt(3)`), a `Param<bool>` is true or false; [`Cond::evaluate`]
//!   defines what a condition means for every target.
//! - **One contract per step.** A [`Step`] builds its command-line struct
//!   (the one the step binary parses) and [`ToArgs`] renders it, so compiler
//!   and binary cannot drift.
//! - **No I/O.** The crate reads no files, environment or clock; the vendored
//!   Argo schemas for [`lint`] are compiled in.
//! - **Deterministic.** Maps are ordered, tasks are sorted by topological
//!   layer then name, and nothing time- or random-based is emitted.

#![warn(missing_docs)]

pub mod argo;
mod diagnostic;
mod dsl;
mod emit;
mod graph;
pub mod ir;
mod kfp;
pub mod lint;
mod location;
mod names;
mod options;

use std::sync::Arc;

pub use argo::KFP_PIPELINE_SPEC;
pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, KfpFeature, Severity};
pub use dsl::arg::Arg;
pub use dsl::arg_value::ArgValue;
pub use dsl::artifact::{Artifact, ArtifactType};
pub use dsl::container_step::{ContainerOutputs, ContainerStep};
pub use dsl::into_arg::{IntoArg, Item};
pub use dsl::output_param::{Collected, OutputParam};
pub use dsl::param::{Operand, Param, ParamType};
pub use dsl::pipeline::Pipeline;
pub use dsl::step::{ArgsWriter, Io, Step, ToArgs};
pub use dsl::task::{AsTask, Task, TaskLinkHandle};
pub use emit::{YamlError, to_yaml};
pub use graph::render::GraphFormat;
pub use graph::svg::{
    EdgeLine, GraphLayout, LabelBox, NodeBox, NodeStyle, SVG_CSS, SvgStyle, TaskState, escape_into,
};
pub use ir::{
    Backoff, CmpOp, Comparison, ConcurrencyPolicy, Cond, INPUTS_ROOT, KFP_ARTIFACT,
    KFP_CLASSIFICATION_METRICS_TYPE, KFP_DATASET, KFP_METRICS, KFP_METRICS_TYPE, KFP_MODEL,
    KFP_UI_METADATA, Kind, Memoize, NVIDIA_GPU, OUTPUTS_ROOT, OutputParamValue, ParamRefValue,
    PodGc, Resources, Retry, RetryPolicy, STEP_PROGRAM, Schedule, TaintEffect, Toleration, Ttl,
    Value, Volume,
};
pub use kfp::Compiled;
pub use kfp::caching::{CachingError as KfpCachingError, disable_caching as disable_kfp_caching};
pub use kfp::executor::KFP_EXECUTOR_INPUT;
pub use location::Location;
pub use options::{ArgoVersion, CompileOptions, KfpOptions, OutputKind, Target};

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
    /// Every problem of the pipeline compiled for `target`, errors and
    /// warnings: the checks every target shares, then the target's own.
    fn problems(&self, target: &Target) -> Vec<Diagnostic> {
        let d = self.data.borrow();
        let mut out = ir::validate::validate(&d, target);
        if let Target::Kfp(options) = target {
            out.extend(
                kfp::lower::lower(&d, options)
                    .problems
                    .into_iter()
                    .map(kfp::Problem::into_diagnostic),
            );
        }
        out
    }

    /// Checks the pipeline for the default target (an Argo `Workflow`) and
    /// returns every problem found, each with the source line that caused it.
    pub fn validate(&self) -> Result<(), Diagnostics> {
        self.validate_for(&Target::default()).map(|_| ())
    }

    /// Runs every check that compiling for `target` runs, so `validate_for`
    /// fails exactly when the compile would. On success, returns the
    /// target's warnings (none for Argo; KFP's warned losses).
    pub fn validate_for(&self, target: &Target) -> Result<Vec<Diagnostic>, Diagnostics> {
        let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = self
            .problems(target)
            .into_iter()
            .partition(|d| d.kind.severity() == Severity::Error);
        if errors.is_empty() {
            Ok(warnings)
        } else {
            Err(Diagnostics::new(self.name(), errors))
        }
    }

    /// Validates and lowers the pipeline to the Argo model (the typed
    /// object `submit` sends; [`Pipeline::compile`] writes it as YAML).
    pub fn lower(&self, options: &CompileOptions) -> Result<argo::Manifest, Diagnostics> {
        self.validate_for(&Target::Argo(options.clone()))?;
        Ok(argo::lower::lower(&self.data.borrow(), options))
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
        let d = self.data.borrow();
        let mut problems = ir::validate::validate(&d, &Target::Kfp(options.clone()));
        let lowered = kfp::lower::lower(&d, options);
        problems.extend(
            lowered
                .problems
                .into_iter()
                .map(kfp::Problem::into_diagnostic),
        );
        let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = problems
            .into_iter()
            .partition(|p| p.kind.severity() == Severity::Error);
        if !errors.is_empty() {
            return Err(CompileError::Invalid(Diagnostics::new(
                d.name.clone(),
                errors,
            )));
        }
        let mut yaml = emit::to_yaml(&lowered.spec).map_err(CompileError::Emit)?;
        if let Some(platform) = lowered.platform {
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

    /// The validated typed IR, for a runner: what `compile` lowers to Argo
    /// (a `Workflow` for `options`), as an owned snapshot any thread can
    /// read.
    pub fn ir(&self, options: &CompileOptions) -> Result<Arc<ir::PipelineData>, Diagnostics> {
        self.validate_for(&Target::Argo(options.clone()))?;
        Ok(Arc::new(self.data.borrow().clone()))
    }

    /// The task graph as DOT, Mermaid or SVG text.
    pub fn graph(&self, format: GraphFormat) -> String {
        graph::render::render(&self.data.borrow(), format)
    }

    /// The task graph as SVG, each task's node coloured, linked and
    /// annotated as `style` says: for a run report (inline in HTML) or a
    /// standalone file. Never fails: an invalid pipeline (a cycle, a
    /// reference to another pipeline) is still drawn.
    pub fn render_svg(&self, style: &SvgStyle) -> String {
        graph::svg::render(&self.data.borrow(), style)
    }

    /// Where [`Pipeline::render_svg`] puts every box, edge and label.
    pub fn graph_layout(&self, style: &SvgStyle) -> GraphLayout {
        graph::svg::layout(&self.data.borrow(), style)
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
        assert!(graph.contains_key("ir") && graph.contains_key("dsl"));
        let names: Vec<&String> = graph.keys().collect();
        let index = |n: &str| names.iter().position(|m| *m == n);
        let deps: Vec<BTreeSet<usize>> = names
            .iter()
            .map(|n| graph[*n].iter().filter_map(|d| index(d)).collect())
            .collect();
        let cycles: Vec<Vec<&String>> = crate::ir::deps::cycles(&deps)
            .into_iter()
            .map(|c| c.into_iter().map(|i| names[i]).collect())
            .collect();
        assert!(cycles.is_empty(), "module cycles: {cycles:?}");
    }
}
