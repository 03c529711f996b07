//! # kpipe: typed ML pipelines for Kubernetes
//!
//! A pipeline is a Rust function that builds a graph of typed steps. kpipe
//! compiles it to Argo Workflow YAML (what Kubeflow Pipelines v1 runs), runs
//! it on your machine, submits it to a cluster and turns it into Prow jobs —
//! all from one binary that you write in a few lines. A step is one
//! function; `#[kpipe::step]` makes its command line, its place in a
//! pipeline and its registration from the signature:
//!
//! ```no_run
//! use kpipe::{App, ArtifactType, Context, Input, Output, Pipeline, Steps};
//!
//! /// A CSV file.
//! pub enum Csv {}
//! impl ArtifactType for Csv {
//!     const KIND: &'static str = "csv";
//! }
//!
//! /// Generate `rows` rows of data.
//! ///
//! /// - `rows`: how many rows
//! /// - `data`: where to write them
//! #[kpipe::step]
//! fn prepare(rows: i64, data: Output<Csv>, ctx: &mut Context) -> anyhow::Result<()> {
//!     data.write((0..rows).map(|i| format!("{i},{}\n", i * i)).collect::<String>())?;
//!     ctx.info(format_args!("wrote {rows} rows"));
//!     Ok(())
//! }
//!
//! /// Count the rows `prepare` wrote.
//! #[kpipe::step]
//! fn count(data: Input<Csv>, ctx: &mut Context) -> anyhow::Result<()> {
//!     ctx.info(format_args!("{} rows", data.read_to_string()?.lines().count()));
//!     Ok(())
//! }
//!
//! fn pipeline() -> Pipeline {
//!     let p = Pipeline::new("demo");
//!     p.image("ghcr.io/me/demo:0.1.0");
//!     let rows = p.int_param("rows", 100);
//!     // `rows` takes an `i64`, a `&Param<i64>` or a step's `i64` output.
//!     let prepared = p.add(Prepare { rows: &rows });
//!     // `data` takes an `&Artifact<Csv>`: another type does not compile.
//!     p.add(Count { data: &prepared.out.data });
//!     p
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     App::new("demo")
//!         .pipeline("demo", "generate a data set", pipeline)
//!         .steps(Steps::new().step(prepare).step(count))
//!         .main()
//! }
//! ```
//!
//! From `prepare`, the macro makes:
//!
//! - `PrepareArgs`, its command line: a clap struct with `--rows` and
//!   `--data` (the doc comment's list is their `--help`), which the
//!   compiler renders into the container's arguments (`#[derive(ToArgs)]`)
//!   and the step binary parses, so the two cannot drift;
//! - `Prepare`, the step a pipeline adds: one field per input (a value —
//!   literal, [`Param`], a step's [`OutputParam`] or a loop's [`Item`] of
//!   the parameter's type — or an [`Artifact<T>`] for an [`Input<T>`]);
//! - `PrepareOutputs`, its outputs: an [`Artifact<T>`] per [`Output<T>`]
//!   and an [`OutputParam<T>`] per [`ParamWriter<T>`] (typed output
//!   parameters: numbers, booleans, text, `Vec`s as JSON, which a loop
//!   runs over with [`Task::with_param`] and [`OutputParam::item`]);
//! - `prepare(args: PrepareArgs, ctx)`, what [`Steps::step`] registers.
//!
//! Its parameters: values ([`ArgValue`]: integers, floats, `bool`,
//! `String`, `PathBuf`, `Option`s and `Vec`s of them), [`Input<T>`] and
//! [`Output<T>`] artifacts, [`ParamWriter<T>`] output parameters, KFP's
//! [`Metrics`] and [`UiMetadata`] files, and `&mut` [`Context`]
//! (optional); it returns `anyhow::Result<()>`. A step the function form
//! cannot say (its own command or image) implements [`Step`] itself, with
//! a clap struct deriving [`ToArgs`] (see `kpipe_step_contract` in this
//! repository). A pipeline whose typed step is not registered with the
//! app's [`Steps`] does not compile: `compile`, `run`, `submit` and
//! `assert_pipelines!` name the step and the line that added it.
//!
//! That binary is the whole tool: `demo compile`, `demo lint FILE`,
//! `demo graph`, `demo run --local`, `demo submit`, `demo prow`, and — inside
//! every container of the compiled workflow — the step runner
//! (`demo step prepare --rows=… --out=…`). `kpipe new NAME` scaffolds such a
//! crate with a snapshot test (`kpipe::testing`, feature `testing`) and a Containerfile.
//!
//! ## Design
//!
//! - **One definition per step.** A step is a function (`#[kpipe::step]`);
//!   the clap struct its binary parses is the struct the compiler renders
//!   into the container's arguments (`#[derive(ToArgs)]`, which the macro
//!   uses too), so the two cannot drift; [`StepArgs`] names the step and
//!   its outputs for the runtime.
//! - **Nothing unregistered reaches a cluster.** An [`App`] declares the
//!   steps its step runner hosts (its [`Steps`], and those of step programs
//!   of their own: [`App::external_steps`]); validation refuses a pipeline
//!   that adds any other, at the line that added it.
//! - **Typed edges.** Outputs are [`Artifact<T>`]; an input asks for a
//!   specific `T`, so wiring a model into a data-set input does not compile.
//! - **The CLI is a library.** [`App`] is the command line for whatever
//!   pipelines and steps you register; the `kpipe` binary of this repository
//!   is one such app (with kubernetes-analysis and the examples).
//! - **The step runtime is a crate of its own.** What runs inside every
//!   container (`kpipe-runtime`: [`Steps`], [`Context`], [`StepArgs`],
//!   [`fsutil`]) is not what runs on a laptop (this crate: the command line,
//!   local runs and their report, submission, Prow jobs). A step binary can
//!   depend on it alone; here it is re-exported as [`step`](mod@step). The app side's
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
pub use kpipe_runtime::{
    Context, Input, Metrics, Output, ParamWriter, StepArgs, Steps, UiMetadata, fsutil,
};

/// The compiler: the DSL, the graph, the Argo model, lint checks.
pub use kpipe_compiler as compiler;
pub use kpipe_compiler::{
    Arg, ArgValue, ArgoVersion, ArgsWriter, Artifact, ArtifactType, Backoff, CmpOp, Collected,
    CompileError, CompileOptions, Compiled, ConcurrencyPolicy, Cond, ContainerOutputs,
    ContainerStep, Diagnostic, DiagnosticKind, Diagnostics, GraphFormat, INPUTS_ROOT, IntoArg, Io,
    Item, KFP_ARTIFACT, KFP_CLASSIFICATION_METRICS_TYPE, KFP_DATASET, KFP_METRICS,
    KFP_METRICS_TYPE, KFP_MODEL, KFP_UI_METADATA, KfpFeature, KfpOptions, Kind, Location, Memoize,
    NVIDIA_GPU, OUTPUTS_ROOT, Operand, OutputKind, OutputParam, OutputParamValue, Param,
    ParamRefValue, ParamType, Pipeline, PodGc, Resources, Retry, RetryPolicy, STEP_PROGRAM,
    Schedule, Severity, Step, TaintEffect, Target, Task, TaskLinkHandle, ToArgs, Toleration, Ttl,
    Value, Volume,
};
pub use kpipe_compiler::{GraphLayout, NodeStyle, SVG_CSS, SvgStyle, TaskState};
/// `#[derive(ToArgs)]`: see [`ToArgs`] and the `kpipe-derive` crate.
pub use kpipe_derive::ToArgs;
/// `#[kpipe::step]`: a step defined by one function (see the crate
/// documentation and the `kpipe-derive` crate).
pub use kpipe_derive::step;
