//! Integration tests of the pipelines and the `kpipe` binary, one test binary.

/// `kpipe lint`, `compile` and `graph` as a user runs them.
mod cli;
/// The kubernetes-analysis pipeline against the original and Argo's schemas.
mod kubernetes_analysis;
/// `kpipe run --local` with the real step binary.
mod local_run;
