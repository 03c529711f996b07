//! `commit-changes`: commit the refreshed store, data set, charts and model
//! to the data repository; push when told.

use std::path::PathBuf;

use kpipe::{Arg, Artifact, Io, Step, Value};

use crate::artifacts::{ApiStore, Assets, Dataset, Model, Repo};

/// Where commit-changes puts the data set in the data repository.
pub const REPO_DATASET_FILE: &str = "data/dataset.jsonl.zst";
/// Where commit-changes puts the charts.
pub const REPO_ASSETS_DIR: &str = "assets";
/// Where commit-changes puts the model.
pub const REPO_MODEL_DIR: &str = "model";

/// The commit message of the original project.
pub const DEFAULT_MESSAGE: &str = "Update data [skip]";

/// Commit refreshed data to the data repository.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "commit-changes")]
pub struct CommitChangesArgs {
    /// The git working tree to commit in.
    #[arg(long)]
    pub repo: PathBuf,
    /// Store to copy to data/api.
    #[arg(long)]
    pub api_store: Option<PathBuf>,
    /// Data set to copy to data/dataset.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Charts to copy to assets/.
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Model directory to copy to model/.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Commit message.
    #[arg(long, default_value = DEFAULT_MESSAGE)]
    pub message: String,
    /// Push the commit to the remote's branch.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub push: Arg<bool>,
    /// SSH private key for pushing over SSH (a mounted secret).
    #[arg(long, env = "KPIPE_SSH_KEY_FILE")]
    pub ssh_key: Option<PathBuf>,
}

/// The `commit-changes` step.
#[derive(Clone, Debug)]
pub struct CommitChanges<'a> {
    /// The data repository.
    pub repo: &'a Artifact<Repo>,
    /// Updated store.
    pub api_store: &'a Artifact<ApiStore>,
    /// Updated data set.
    pub dataset: &'a Artifact<Dataset>,
    /// Updated charts.
    pub assets: &'a Artifact<Assets>,
    /// New model.
    pub model: &'a Artifact<Model>,
    /// Push after committing (`true`/`false`, usually the `push` parameter).
    pub push: Value,
    /// SSH key for the push.
    pub ssh_key: Option<PathBuf>,
}

impl Step for CommitChanges<'_> {
    type Args = CommitChangesArgs;
    type Outputs = ();

    fn name(&self) -> String {
        "commit-changes".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (CommitChangesArgs, ()) {
        let args = CommitChangesArgs {
            repo: io.input("repo", self.repo),
            api_store: Some(io.input("api", self.api_store)),
            dataset: Some(io.input("dataset", self.dataset)),
            assets: Some(io.input("assets", self.assets)),
            model: Some(io.input("model", self.model)),
            message: DEFAULT_MESSAGE.to_owned(),
            push: io.arg_value(self.push),
            ssh_key: self.ssh_key,
        };
        (args, ())
    }
}
