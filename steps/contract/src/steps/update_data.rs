//! `update-data`: parse the store into the typed data set.

use std::path::PathBuf;

use kpipe::{Artifact, Io, Step};

use crate::artifacts::{ApiStore, Dataset};

/// Parse the store into the typed data set.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "update-data")]
pub struct UpdateDataArgs {
    /// Store directory written by update-api.
    #[arg(long)]
    pub store: PathBuf,
    /// Data set file to write.
    #[arg(long)]
    #[kpipe(output)]
    pub out: PathBuf,
}

/// The `update-data` step.
#[derive(Clone, Debug)]
pub struct UpdateData<'a> {
    /// The store to parse.
    pub store: &'a Artifact<ApiStore>,
}

/// Outputs of [`UpdateData`].
#[derive(Debug)]
pub struct UpdateDataOutputs {
    /// The data set.
    pub dataset: Artifact<Dataset>,
}

impl Step for UpdateData<'_> {
    type Args = UpdateDataArgs;
    type Outputs = UpdateDataOutputs;

    fn name(&self) -> String {
        "update-data".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (UpdateDataArgs, UpdateDataOutputs) {
        let store = io.input("api", self.store);
        let (out, dataset) = io.output::<Dataset>("dataset");
        (UpdateDataArgs { store, out }, UpdateDataOutputs { dataset })
    }
}
