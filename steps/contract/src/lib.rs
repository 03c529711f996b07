//! The step contracts of kpipe: one definition per step, used by both sides.
//!
//! - **Compiler side**: each step is a struct whose fields are its inputs
//!   (typed [`Artifact`](kpipe::Artifact)s, run-time
//!   [`Value`](kpipe::Value)s and settings). Adding it to a
//!   [`Pipeline`](kpipe::Pipeline) declares its artifacts and renders
//!   its command line.
//! - **Binary side**: the command line is a clap struct ([`CheckoutArgs`], …)
//!   that `kpipe-step` registers with kpipe's step runtime
//!   (`kpipe_steps::steps()`). The compiler renders exactly that struct (via
//!   [`ToArgs`](kpipe::ToArgs)), so the two cannot drift; `tests`
//!   round-trip every step.
//!
//! This crate is light (the compiler and clap only) so the `kpipe` CLI can
//! depend on it without linking any step implementation.

pub mod artifacts;
pub mod git;
mod secrets;
mod steps;

pub use secrets::SecretPaths;
pub use steps::analyze::{
    Analyze, AnalyzeArgs, AnalyzeOutputs, Chart, ChartFlags, Subset, SubsetFlags,
};
pub use steps::bot::BotArgs;
pub use steps::build_image::{BuildImage, BuildImageArgs, BuildImageOutputs, STEP_BINARY};
pub use steps::checkout::{Checkout, CheckoutArgs, CheckoutOutputs};
pub use steps::commit_changes::{
    CommitChanges, CommitChangesArgs, DEFAULT_MESSAGE, REPO_ASSETS_DIR, REPO_DATASET_FILE,
    REPO_MODEL_DIR,
};
pub use steps::predict::{PredictArgs, PredictTest};
pub use steps::rollout::{Rollout, RolloutArgs};
pub use steps::serve::ServeArgs;
pub use steps::train::{Device, Train, TrainArgs, TrainOutputs};
pub use steps::update_api::{
    GITHUB_API, REPO_STORE_DIR, UpdateApi, UpdateApiArgs, UpdateApiOutputs,
};
pub use steps::update_data::{UpdateData, UpdateDataArgs, UpdateDataOutputs};

use kpipe::StepArgs;

/// Every step `kpipe-step` runs (its subcommands), in its registration
/// order: what the `kpipe` app declares for that program
/// ([`App::external_steps`](kpipe::App::external_steps)), so a pipeline
/// that adds a step `kpipe-step` does not run fails to compile instead of
/// failing on the cluster. The step binary's own registration
/// (`kpipe_steps::steps()`) is tested to be exactly this list.
pub const STEPS: &[&str] = &[
    CheckoutArgs::NAME,
    UpdateApiArgs::NAME,
    UpdateDataArgs::NAME,
    AnalyzeArgs::NAME,
    TrainArgs::NAME,
    PredictArgs::NAME,
    BuildImageArgs::NAME,
    CommitChangesArgs::NAME,
    RolloutArgs::NAME,
    ServeArgs::NAME,
    BotArgs::NAME,
];
