//! `checkout`: clone the data repository, optionally with a pull request merged.

use std::path::PathBuf;

use kpipe::{Artifact, Io, Step, Value};

use crate::artifacts::Repo;

/// Clone the data repository, optionally merging a pull request.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "checkout")]
pub struct CheckoutArgs {
    /// Repository to clone: an HTTPS or SSH URL, a `file://` URL or a local path.
    #[arg(long)]
    pub repo: String,
    /// Pull request to fetch (`refs/pull/N/head`) and merge onto the base; empty for none.
    #[arg(long, default_value = "")]
    pub pr: String,
    /// Branch, tag or commit to check out (default: the remote's default branch).
    #[arg(long = "ref")]
    pub git_ref: Option<String>,
    /// Directory to create with the working tree.
    #[arg(long)]
    #[kpipe(output)]
    pub out: PathBuf,
    /// SSH private key for git over SSH (a mounted secret).
    #[arg(long, env = "KPIPE_SSH_KEY_FILE")]
    pub ssh_key: Option<PathBuf>,
    /// File with a token for git over HTTPS (a mounted secret).
    #[arg(long, env = "KPIPE_GIT_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// History depth to fetch; 0 fetches everything.
    #[arg(long, default_value_t = 1)]
    pub depth: u32,
}

/// The `checkout` step.
#[derive(Clone, Debug)]
pub struct Checkout {
    /// Repository URL or path.
    pub repo: Value,
    /// Pull request number (usually the `pr` pipeline parameter).
    pub pr: Value,
    /// Branch, tag or commit.
    pub git_ref: Option<Value>,
    /// SSH key file.
    pub ssh_key: Option<PathBuf>,
    /// HTTPS token file.
    pub token_file: Option<PathBuf>,
    /// History depth (0 = full).
    pub depth: u32,
}

impl Checkout {
    /// Checks out `repo` at its default branch, shallow.
    pub fn new(repo: impl Into<Value>) -> Self {
        Self {
            repo: repo.into(),
            pr: Value::from(""),
            git_ref: None,
            ssh_key: None,
            token_file: None,
            depth: 1,
        }
    }
}

/// Outputs of [`Checkout`].
#[derive(Debug)]
pub struct CheckoutOutputs {
    /// The working tree.
    pub repo: Artifact<Repo>,
}

impl Step for Checkout {
    type Args = CheckoutArgs;
    type Outputs = CheckoutOutputs;

    fn name(&self) -> String {
        "checkout".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (CheckoutArgs, CheckoutOutputs) {
        let (out, repo) = io.output::<Repo>("repo");
        let args = CheckoutArgs {
            repo: io.value(&self.repo),
            pr: io.value(&self.pr),
            git_ref: self.git_ref.as_ref().map(|r| io.value(r)),
            out,
            ssh_key: self.ssh_key,
            token_file: self.token_file,
            depth: self.depth,
        };
        (args, CheckoutOutputs { repo })
    }
}
