//! # kpipe-runtime: what runs inside every container of a kpipe pipeline
//!
//! Register each step — its arguments type (a clap struct with
//! `#[derive(ToArgs)]` and `#[kpipe(step = "NAME")]`) and a function taking
//! the parsed arguments and a [`Context`] — and the runtime does the rest:
//! the subcommand per step and its `--help`, parsing, the parent
//! directories of the outputs marked `#[kpipe(output)]`, the output
//! parameter and KFP metrics/UI-metadata files ([`Context`]), the log
//! format, the error chain printed once, and the exit code (0 done, 1 the
//! step failed, 2 a usage error).
//!
//! A `#[kpipe::step]` function is registered the same way: the macro makes
//! its arguments struct from its parameters, whose types are this crate's
//! — [`Input`] and [`Output`] artifacts, [`ParamWriter`] output
//! parameters, KFP's [`Metrics`] and [`UiMetadata`] files, [`Context`].
//!
//! ```no_run
//! use kpipe_runtime::{Context, Steps};
//!
//! #[derive(clap::Args, kpipe_derive::ToArgs, Clone, Debug, PartialEq)]
//! #[kpipe(crate = "kpipe_runtime", step = "prepare")]
//! struct PrepareArgs {
//!     #[arg(long)]
//!     rows: u32,
//! }
//!
//! fn prepare(args: PrepareArgs, ctx: &mut Context) -> anyhow::Result<()> {
//!     ctx.info(format_args!("preparing {} rows", args.rows));
//!     Ok(())
//! }
//!
//! // In an app: `kpipe::App::new("fraud").steps(Steps::new().step(prepare))`,
//! // run as `fraud step prepare --rows=3`; or a step binary of its own:
//! fn main() -> std::process::ExitCode {
//!     Steps::new().step(prepare).main("fraud-step")
//! }
//! ```
//!
//! ## Why a crate of its own
//!
//! What a container runs is not what a laptop runs: the `kpipe` crate is
//! the command line and the app side (compile, lint, run, report, submit,
//! prow), this one is the program inside every step, and a step binary
//! such as `kpipe-step` depends on this one alone. Users reach all of it
//! through `kpipe` (`kpipe::Steps`, `kpipe::Context`, `kpipe::step::kfp`,
//! `kpipe::fsutil`, …), which re-exports it.
//!
//! It depends on the compiler only for [`ToArgs`] (a step's arguments
//! render themselves into the container's command line), on clap, anyhow
//! and serde_json; with the `tls` feature, on rustls.

#[macro_use]
mod typed_path;
mod artifact_path;
mod context;
pub mod fsutil;
pub mod kfp;
mod kfp_file;
mod param_writer;
mod steps;
#[cfg(feature = "tls")]
pub mod tls;

#[doc(hidden)]
pub mod __private;

pub use artifact_path::{Input, Output};
pub use context::{Context, LogFormat};
pub use kfp_file::{Metrics, UiMetadata};
/// What `#[derive(ToArgs)]` implements: a step's arguments as the
/// container's command line.
pub use kpipe_compiler::{ArgsWriter, ToArgs};
pub use param_writer::ParamWriter;
pub use steps::{StepArgs, Steps, exit_for, parse_args};
