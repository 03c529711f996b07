//! kpipe's pipelines and the `kpipe` command line.
//!
//! A pipeline is a Rust function from a [`Profile`] to a
//! [`Pipeline`](kpipe_compiler::Pipeline). The profile is the one switch
//! between what a cluster runs (`kpipe compile`, the default) and the
//! embedded defaults of a run on one machine (`kpipe run --local`): no
//! secrets, no pushes, a dry-run rollout.

pub mod cli;
pub mod kubernetes_analysis;
pub mod local_data;
pub mod prow;
mod registry;
pub mod run;
pub mod submit;

pub use registry::{PipelineEntry, Profile, all, find};
