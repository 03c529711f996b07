//! kpipe's macros: `#[derive(ToArgs)]`, a step's command line rendered from
//! its clap struct, so the arguments the compiler writes into a container
//! and the parser the step binary runs come from one definition; and
//! `#[kpipe::step]`, a step defined by one function, which uses it.
//!
//! ```ignore
//! #[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
//! #[kpipe(step = "prepare")]
//! pub struct PrepareArgs {
//!     /// Rows to generate.
//!     #[arg(long)]
//!     pub rows: kpipe::Arg<i64>,
//!     /// Where to write the data set.
//!     #[arg(long)]
//!     #[kpipe(output)]
//!     pub out: std::path::PathBuf,
//!     #[arg(long)]
//!     pub verbose: bool,
//!     #[arg(long)]
//!     pub tag: Vec<String>,
//!     pub extra: Option<String>,
//! }
//! ```
//!
//! generates `impl kpipe::ToArgs for PrepareArgs` writing
//! `prepare --rows=7 --out=/kpipe/outputs/data --verbose --tag=a --tag=b -- x`:
//!
//! - options as one `--name=value` token (safe for empty values and values
//!   that start with `-`); the name is clap's: `long = "…"`, or the field in
//!   kebab-case;
//! - `bool` flags as `--name` when set (`ArgAction::SetFalse`: when unset;
//!   `Count`: repeated; `Set`: `--name=true|false`);
//! - `Option` omitted when `None`; `Vec` repeated once per value;
//! - fields without `long`/`short` are positionals, written last after `--`;
//! - `#[command(flatten)]` fields write their own arguments in place;
//! - `#[arg(skip)]` and `#[kpipe(skip)]` fields are not written.
//!
//! Values are written with clap's name for a `ValueEnum`, the path for a
//! `Path`/`PathBuf`/`OsString`, and `Display` otherwise.
//!
//! With `#[kpipe(step = "NAME")]` the arguments start with the subcommand
//! `NAME`, and the struct also implements `kpipe::StepArgs` (the step
//! runtime's registration: its name, and the output paths marked
//! `#[kpipe(output)]`, whose parent directories the runtime creates).
//! `#[kpipe(crate = "path")]` names the kpipe crate if it is not `::kpipe`.
//!
//! # `#[kpipe::step]`: a step is one function
//!
//! ```text
//! /// Fit a line to the data.
//! ///
//! /// - `test_share`: the share of rows held out for scoring
//! #[kpipe::step]
//! pub fn fit_line(
//!     data: Input<Csv>,
//!     test_share: f64,
//!     model: Output<Line>,
//!     count: ParamWriter<i64>,
//!     metrics: Metrics,
//!     ctx: &mut Context,
//! ) -> anyhow::Result<()> { … }
//! ```
//!
//! generates, with the function's visibility:
//!
//! - `FitLineArgs`, the command line of the step `fit-line` (the function's
//!   name in kebab-case): a `#[derive(clap::Args, ToArgs)]` struct with one
//!   `--flag` per parameter but the context (values as `kpipe::Arg<T>`,
//!   parsed and rendered by `kpipe::ArgValue`; paths as the parameter's
//!   type, outputs marked `#[kpipe(output)]`). The function's doc comment
//!   is the step's `--help`; a list item `` - `name`: text `` (optionally
//!   under `# Arguments`), or a doc comment on the parameter, is that
//!   flag's. It lives in a hidden module that brings kpipe's clap, so the
//!   crate needs no clap of its own.
//! - `FitLine<'a, TestShare>`, the step a pipeline adds: a field per input,
//!   `&'a Artifact<T>` for an `Input<T>` and, for a value of type `T`, a
//!   type parameter bounded by `kpipe::IntoArg<T>` (a `T`, a `&Param<T>`, a
//!   step's `&OutputParam<T>`, a loop's `Item<T>`), so a value of another
//!   type is an error at the field. `Step::name` is the kebab-case name.
//! - `FitLineOutputs`: `Artifact<T>` per `Output<T>`, `OutputParam<T>` per
//!   `ParamWriter<T>`.
//! - `fn fit_line(args: FitLineArgs, ctx: &mut Context) -> anyhow::Result<()>`,
//!   what `Steps::step` registers; the function as written runs inside it,
//!   called with the parsed values.
//!
//! Parameters are classified by their type's last name: `Input<T>`,
//! `Output<T>`, `ParamWriter<T>`, `Metrics`, `UiMetadata`, `&mut _` (the
//! context, optional, at most one); anything else is a value and must be
//! an `ArgValue`. The function returns `anyhow::Result<()>` and is not
//! `async`, `const`, `unsafe` or generic. Misuses are compile errors at
//! the offending token (`tests/ui`). `#[kpipe::step(crate = "path")]`
//! names the kpipe crate if it is not `::kpipe`.

use proc_macro::TokenStream;
use syn::{DeriveInput, ItemFn, parse_macro_input};

mod step_docs;
mod step_fn;
mod to_args;

/// Derives `kpipe::ToArgs` (and `kpipe::StepArgs` with `#[kpipe(step)]`).
/// See the crate documentation.
#[proc_macro_derive(ToArgs, attributes(kpipe))]
pub fn derive_to_args(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match to_args::expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `#[kpipe::step]`: a step defined by one function. See the crate
/// documentation.
#[proc_macro_attribute]
pub fn step(attr: TokenStream, item: TokenStream) -> TokenStream {
    let function = parse_macro_input!(item as ItemFn);
    match step_fn::expand(attr.into(), function) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
