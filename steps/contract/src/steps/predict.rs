//! `predict`: score a release note; `--test` is the pipeline's predict-test.

use std::path::PathBuf;

use kpipe::{Artifact, Io, Step};

use crate::artifacts::Model;

/// Score a release note with a trained model.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "predict")]
pub struct PredictArgs {
    /// Model directory written by train.
    #[arg(long)]
    pub model: PathBuf,
    /// Release-note text to score (or - to read standard input).
    #[arg(required_unless_present = "test", conflicts_with = "test")]
    pub text: Option<String>,
    /// Score the original project's known bug and non-bug notes; exit 1 on a miss.
    #[arg(long)]
    pub test: bool,
    /// Probability at or above which a note counts as a bug [default: the
    /// threshold stored with the model].
    #[arg(long)]
    pub threshold: Option<f64>,
}

/// The pipeline's `predict-test` task: `predict --test` on the new model.
#[derive(Clone, Debug)]
pub struct PredictTest<'a> {
    /// The model to test.
    pub model: &'a Artifact<Model>,
    /// Decision threshold; `None` decides at the threshold stored with the
    /// model (what serve and the bot use too).
    pub threshold: Option<f64>,
}

impl Step for PredictTest<'_> {
    type Args = PredictArgs;
    type Outputs = ();

    fn name(&self) -> String {
        "predict-test".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (PredictArgs, ()) {
        let model = io.input("model", self.model);
        let args = PredictArgs {
            model,
            text: None,
            test: true,
            threshold: self.threshold,
        };
        (args, ())
    }
}
