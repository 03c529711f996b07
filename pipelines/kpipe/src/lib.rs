//! # kpipe: typed ML pipelines for Kubernetes
//!
//! A pipeline is a Rust function that builds a graph of typed steps. kpipe
//! compiles it to Argo Workflow YAML (what Kubeflow Pipelines v1 runs), runs
//! it on your machine, submits it to a cluster and turns it into Prow jobs —
//! all from one binary that you write in a few lines:
//!
//! The parameter's type and the argument's agree (`Param<i64>` gives an
//! `Arg<i64>`; an `Arg<u32>` field would not compile):
//!
//! ```no_run
//! use kpipe::{App, Artifact, ArtifactType, Io, Param, Pipeline, Step, Steps};
//! use std::path::PathBuf;
//!
//! /// A CSV file.
//! pub enum Csv {}
//! impl ArtifactType for Csv {
//!     const KIND: &'static str = "csv";
//! }
//!
//! /// Generate `rows` rows of data.
//! #[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
//! #[kpipe(step = "prepare")]
//! pub struct PrepareArgs {
//!     /// Rows to generate.
//!     #[arg(long)]
//!     pub rows: kpipe::Arg<i64>,
//!     /// Where to write them.
//!     #[arg(long)]
//!     #[kpipe(output)]
//!     pub out: PathBuf,
//! }
//!
//! /// The `prepare` step in a pipeline: its inputs are its fields.
//! pub struct Prepare<'a> {
//!     pub rows: &'a Param<i64>,
//! }
//!
//! /// What `prepare` produces.
//! pub struct PrepareOutputs {
//!     pub data: Artifact<Csv>,
//! }
//!
//! impl Step for Prepare<'_> {
//!     type Args = PrepareArgs;
//!     type Outputs = PrepareOutputs;
//!     fn name(&self) -> String {
//!         "prepare".into()
//!     }
//!     fn wire(self, io: &mut Io<'_>) -> (PrepareArgs, PrepareOutputs) {
//!         let (out, data) = io.output::<Csv>("data");
//!         (PrepareArgs { rows: io.arg(self.rows), out }, PrepareOutputs { data })
//!     }
//! }
//!
//! /// What `demo step prepare …` does inside its container.
//! fn prepare(args: PrepareArgs, ctx: &mut kpipe::Context) -> anyhow::Result<()> {
//!     let rows: String = (0..*args.rows.get()).map(|i| format!("{i},{}\n", i * i)).collect();
//!     std::fs::write(&args.out, rows)?;
//!     ctx.info(format_args!("wrote {} rows", args.rows));
//!     Ok(())
//! }
//!
//! fn pipeline() -> Pipeline {
//!     let p = Pipeline::new("demo");
//!     p.image("ghcr.io/me/demo:0.1.0");
//!     let rows = p.int_param("rows", 100);
//!     p.add(Prepare { rows: &rows });
//!     p
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     App::new("demo")
//!         .pipeline("demo", "generate a data set", pipeline)
//!         .steps(Steps::new().step(prepare))
//!         .main()
//! }
//! ```
//!
//! That binary is the whole tool: `demo compile`, `demo lint FILE`,
//! `demo graph`, `demo run --local`, `demo submit`, `demo prow`, and — inside
//! every container of the compiled workflow — the step runner
//! (`demo step prepare --rows=… --out=…`). `kpipe new NAME` scaffolds such a
//! crate with a snapshot test (`kpipe::testing`, feature `testing`) and a Containerfile.
//!
//! ## Design
//!
//! - **One definition per step.** The clap struct a step's binary parses is
//!   the struct the compiler renders into the container's arguments
//!   (`#[derive(ToArgs)]`), so the two cannot drift; [`StepArgs`] names the
//!   step and its outputs for the runtime.
//! - **Typed edges.** Outputs are [`Artifact<T>`]; an input asks for a
//!   specific `T`, so wiring a model into a data-set input does not compile.
//! - **The CLI is a library.** [`App`] is the command line for whatever
//!   pipelines and steps you register; the `kpipe` binary of this repository
//!   is one such app (with kubernetes-analysis and the examples).
//! - **The step runtime is a crate of its own.** What runs inside every
//!   container (`kpipe-runtime`: [`Steps`], [`Context`], [`StepArgs`],
//!   [`fsutil`]) is not what runs on a laptop (this crate: the command line,
//!   local runs and their report, submission, Prow jobs). A step binary can
//!   depend on it alone; here it is re-exported as [`step`]. The app side's
//!   internals (report, submit, prow) are private: [`App`] is their API.
//! - **Light by default for compile-only use.** The `submit` feature
//!   (default) brings kube, reqwest, rustls and tokio; without it nothing of
//!   those is linked.

// The module docs name their private submodules (where each concept lives).
#![allow(rustdoc::private_intra_doc_links)]

// `::kpipe::…` paths (the derive's, the scaffold's) resolve inside this crate too.
extern crate self as kpipe;

mod app;
mod cli;
mod image;
mod params;
mod profile;
mod prow;
mod registry;
mod report;
pub mod run;
mod scaffold;
#[cfg(feature = "submit")]
mod submit;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::App;
pub use profile::LocalProfile;
pub use registry::{Entry, LocalEnv, LocalPrep};

/// The step runtime (the `kpipe-runtime` crate): what runs inside every
/// container — [`Steps`], [`Context`], [`StepArgs`], [`step::parse_args`],
/// the KFP metrics and UI-metadata writers ([`step::kfp`]).
pub use kpipe_runtime as step;
#[doc(hidden)]
pub use kpipe_runtime::__private;
/// TLS: rustls on ring as the process's crypto provider (feature `tls`).
#[cfg(feature = "tls")]
pub use kpipe_runtime::tls;
pub use kpipe_runtime::{Context, StepArgs, Steps, fsutil};

/// The compiler: the DSL, the graph, the Argo model, lint checks.
pub use kpipe_compiler as compiler;
pub use kpipe_compiler::{
    Arg, ArgoVersion, ArgsWriter, Artifact, ArtifactType, Backoff, CmpOp, CompileError,
    CompileOptions, Compiled, ConcurrencyPolicy, Cond, ContainerOutputs, ContainerStep, Diagnostic,
    DiagnosticKind, Diagnostics, GraphFormat, INPUTS_ROOT, Io, KFP_ARTIFACT,
    KFP_CLASSIFICATION_METRICS_TYPE, KFP_DATASET, KFP_METRICS, KFP_METRICS_TYPE, KFP_MODEL,
    KFP_UI_METADATA, KfpFeature, KfpOptions, Kind, Location, Memoize, NVIDIA_GPU, OUTPUTS_ROOT,
    Operand, OutputKind, OutputParam, OutputParamValue, Param, ParamRefValue, ParamType, Pipeline,
    PodGc, Resources, Retry, RetryPolicy, STEP_PROGRAM, Schedule, Severity, Step, TaintEffect,
    Target, Task, TaskLinkHandle, ToArgs, Toleration, Ttl, Value, Volume,
};
pub use kpipe_compiler::{GraphLayout, NodeStyle, SVG_CSS, SvgStyle, TaskState};
/// `#[derive(ToArgs)]`: see [`ToArgs`] and the `kpipe-derive` crate.
pub use kpipe_derive::ToArgs;
