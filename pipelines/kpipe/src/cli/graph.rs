//! `kpipe graph`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kpipe_compiler::GraphFormat;

use super::{Outcome, lookup, output};
use crate::App;

#[derive(Args, Debug)]
pub(crate) struct GraphArgs {
    /// Pipeline to draw (default: the default pipeline).
    pipeline: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// An SVG drawing, laid out by kpipe (no external program).
    Svg,
}

pub(crate) fn run(app: &App, args: &GraphArgs) -> anyhow::Result<Outcome> {
    let entry = lookup(app, args.pipeline.as_deref())?;
    let pipeline = app.build(entry);
    if let Err(diagnostics) = pipeline.validate() {
        output::eprint_block(diagnostics);
        return Ok(Outcome::Invalid);
    }
    let format = match args.format {
        Format::Dot => GraphFormat::Dot,
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Svg => GraphFormat::Svg,
    };
    output::write_text(args.output.as_deref(), &pipeline.graph(format))?;
    Ok(Outcome::Success)
}
