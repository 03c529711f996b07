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

use kpipe_step_contract::Command;

pub use predict::{NEGATIVE_TEST_TEXT, POSITIVE_TEST_TEXT};
pub use rollout::{canary_patch, desired, inference_service, promote_patch};
pub use train::evaluate;

/// Runs one step.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Train(args) => train::run(args),
        Command::Predict(args) => predict::run(args),
        Command::UpdateApi(args) => update_api::run(args),
        Command::UpdateData(args) => update_data::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Checkout(args) => checkout::run(args),
        Command::CommitChanges(args) => commit_changes::run(args),
        Command::BuildImage(args) => build_image::run(args),
        Command::Rollout(args) => rollout::run(args),
        Command::Serve(args) => crate::serve::run(args),
        Command::Bot(args) => crate::bot::run(args),
    }
}
