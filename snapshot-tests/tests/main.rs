//! All snapshot tests, one binary. Snapshots live in `tests/snapshots/` and
//! are committed; CI (`CI=true`) never writes them, so drift fails the build.
//! Review a change with `cargo insta review`.

/// The exact YAML `kpipe compile` writes for every pipeline and example.
mod compile;
/// The Kubeflow Pipelines v2 IR (`kpipe compile --target kfp`) of every
/// pipeline and example, with its warnings.
mod compile_kfp;
/// Rendered diagnostics of broken pipelines: call sites first, then errors.
mod errors;
/// `kpipe graph --format svg`: exact SVG, and clean geometry everywhere.
mod graph_svg;
/// `kpipe --help` and `kpipe-step --help`, per subcommand.
mod help;
/// The README's example is real.
mod readme;
/// The crate layout: no crate imports a crate in a folder above it.
mod workspace;
