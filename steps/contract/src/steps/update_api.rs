//! `update-api`: export or update the GitHub issues and pull requests store.

use std::path::PathBuf;

use kpipe::{Arg, Artifact, Io, Step, Value};

use crate::artifacts::{ApiStore, Repo};

/// The public GitHub API.
pub const GITHUB_API: &str = "https://api.github.com";

/// Export or update the store of GitHub issues and pull requests.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "update-api")]
pub struct UpdateApiArgs {
    /// GitHub repository to export, as OWNER/NAME.
    #[arg(long)]
    pub repo: String,
    /// Store directory; created when missing, updated in place (atomically).
    #[arg(long)]
    #[kpipe(output)]
    pub store: PathBuf,
    /// Start from the store in this directory (e.g. the one committed in the
    /// data repository) when --store holds none.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Base URL of the GitHub REST API (GitHub Enterprise: https://HOST/api/v3).
    #[arg(long, default_value = GITHUB_API)]
    pub api_url: String,
    /// File with the GitHub token (a mounted secret); else $GITHUB_TOKEN.
    #[arg(long, env = "KPIPE_GITHUB_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Export everything instead of updating since the last run.
    #[arg(long)]
    pub full: bool,
    /// Do not contact GitHub: keep (or seed from --from) the store as it is.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub offline: Arg<bool>,
}

/// The `update-api` step. In a pipeline it starts from the store committed in
/// the checked-out data repository (`data/api`).
#[derive(Clone, Debug)]
pub struct UpdateApi<'a> {
    /// The checked-out data repository.
    pub checkout: &'a Artifact<Repo>,
    /// GitHub repository, OWNER/NAME.
    pub github_repo: String,
    /// API base URL.
    pub api_url: String,
    /// Token file.
    pub token_file: Option<PathBuf>,
    /// Full export instead of an update.
    pub full: bool,
    /// Do not contact GitHub (`true`/`false`, usually the `offline` parameter).
    pub offline: Value,
}

/// Where the data repository keeps the store.
pub const REPO_STORE_DIR: &str = "data/api";

/// Outputs of [`UpdateApi`].
#[derive(Debug)]
pub struct UpdateApiOutputs {
    /// The updated store.
    pub store: Artifact<ApiStore>,
}

impl Step for UpdateApi<'_> {
    type Args = UpdateApiArgs;
    type Outputs = UpdateApiOutputs;

    fn name(&self) -> String {
        "update-api".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (UpdateApiArgs, UpdateApiOutputs) {
        let repo = io.input("repo", self.checkout);
        let (path, store) = io.output::<ApiStore>("api");
        let args = UpdateApiArgs {
            repo: self.github_repo,
            store: path,
            from: Some(repo.join(REPO_STORE_DIR)),
            api_url: self.api_url,
            token_file: self.token_file,
            full: self.full,
            offline: io.arg_value(self.offline),
        };
        (args, UpdateApiOutputs { store })
    }
}
