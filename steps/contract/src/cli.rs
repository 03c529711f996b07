//! The whole command line of `kpipe-step`.

use clap::{Parser, Subcommand};
use kpipe::ToArgs;

use crate::{
    AnalyzeArgs, BotArgs, BuildImageArgs, CheckoutArgs, CommitChangesArgs, PredictArgs,
    RolloutArgs, ServeArgs, TrainArgs, UpdateApiArgs, UpdateDataArgs,
};

/// `kpipe-step`: every step of a kpipe pipeline, one binary.
#[derive(Parser, Clone, Debug, PartialEq)]
#[command(
    name = "kpipe-step",
    version,
    about = "Runs one step of a kpipe pipeline (the program inside every step container)",
    propagate_version = true
)]
pub struct StepCli {
    /// The step to run.
    #[command(subcommand)]
    pub command: Command,
}

/// One subcommand per step.
#[derive(Subcommand, Clone, Debug, PartialEq)]
pub enum Command {
    /// Clone the data repository, optionally merging a pull request.
    Checkout(CheckoutArgs),
    /// Export or update the store of GitHub issues and pull requests.
    UpdateApi(UpdateApiArgs),
    /// Parse the store into the typed data set.
    UpdateData(UpdateDataArgs),
    /// Draw the analysis charts (SVG and PNG).
    Analyze(AnalyzeArgs),
    /// Train the kind/bug classifier (or evaluate a model with --eval).
    Train(TrainArgs),
    /// Score a release note with a trained model.
    Predict(PredictArgs),
    /// Build (and push) the serving image without a container engine.
    BuildImage(BuildImageArgs),
    /// Commit refreshed data to the data repository.
    CommitChanges(CommitChangesArgs),
    /// Roll the served model out as a KServe canary, then promote it.
    Rollout(RolloutArgs),
    /// Serve a model over the KServe V1 protocol.
    Serve(ServeArgs),
    /// Run the Prow external plugin that labels pull requests kind/bug.
    Bot(BotArgs),
}

impl Command {
    /// The subcommand's name as typed on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Checkout(_) => "checkout",
            Command::UpdateApi(_) => "update-api",
            Command::UpdateData(_) => "update-data",
            Command::Analyze(_) => "analyze",
            Command::Train(_) => "train",
            Command::Predict(_) => "predict",
            Command::BuildImage(_) => "build-image",
            Command::CommitChanges(_) => "commit-changes",
            Command::Rollout(_) => "rollout",
            Command::Serve(_) => "serve",
            Command::Bot(_) => "bot",
        }
    }
}

impl ToArgs for Command {
    fn write_args(&self, w: &mut kpipe::ArgsWriter) {
        w.raw(self.name());
        match self {
            Command::Checkout(a) => a.write_args(w),
            Command::UpdateApi(a) => a.write_args(w),
            Command::UpdateData(a) => a.write_args(w),
            Command::Analyze(a) => a.write_args(w),
            Command::Train(a) => a.write_args(w),
            Command::Predict(a) => a.write_args(w),
            Command::BuildImage(a) => a.write_args(w),
            Command::CommitChanges(a) => a.write_args(w),
            Command::Rollout(a) => a.write_args(w),
            Command::Serve(a) => a.write_args(w),
            Command::Bot(a) => a.write_args(w),
        }
    }
}

impl StepCli {
    /// Parses the arguments after the program name (what a container's
    /// `args` holds).
    pub fn parse_args<I, S>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        let argv = std::iter::once(std::ffi::OsString::from("kpipe-step"))
            .chain(args.into_iter().map(Into::into));
        Self::try_parse_from(argv)
    }
}
