//! Dispatch from a parsed subcommand to its implementation.

mod analyze;
mod build_image;
mod checkout;
mod commit_changes;
mod predict;
mod rollout;
mod train;
mod update_api;
mod update_data;

use kpipe_runtime::Steps;

pub use predict::{NEGATIVE_TEST_TEXT, POSITIVE_TEST_TEXT};
pub use rollout::{canary_patch, desired, inference_service, promote_patch};
pub use train::evaluate;

/// Every step of `kpipe-step`, registered with kpipe's step runtime (as a
/// user's steps are): its subcommands, their `--help`, the output
/// directories, the error printed once and the exit code.
pub fn steps() -> Steps {
    Steps::new()
        .step(|args, _| checkout::run(args))
        .step(|args, _| update_api::run(args))
        .step(|args, _| update_data::run(args))
        .step(|args, _| analyze::run(args))
        .step(|args, _| train::run(args))
        .step(|args, _| predict::run(args))
        .step(|args, _| build_image::run(args))
        .step(|args, _| commit_changes::run(args))
        .step(|args, _| rollout::run(args))
        .step(|args, _| crate::serve::run(args))
        .step(|args, _| crate::bot::run(args))
}

#[cfg(test)]
mod tests {
    /// The `kpipe` app checks pipelines against the contract's list of what
    /// `kpipe-step` runs; this binary must run exactly those.
    #[test]
    fn the_step_binary_runs_exactly_the_contracts_steps() {
        assert_eq!(super::steps().names(), kpipe_step_contract::STEPS);
    }
}
