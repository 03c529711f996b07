//! `rollout`: update the KServe InferenceService canary, wait, promote.

use kpipe::{Arg, Io, Step, Value};

/// Roll the served model out as a KServe canary, then promote it.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq, Eq)]
#[kpipe(step = "rollout")]
pub struct RolloutArgs {
    /// Image to roll out (REPOSITORY:TAG or @DIGEST).
    #[arg(long)]
    pub image: String,
    /// InferenceService name.
    #[arg(long, default_value = "kubernetes-analysis")]
    pub name: String,
    /// Namespace of the InferenceService.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Share of traffic the new revision gets before promotion.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub canary_percent: u8,
    /// How long to wait for the canary and for the promotion to become Ready.
    #[arg(long, default_value_t = 600)]
    pub timeout_seconds: u64,
    /// Print the objects that would be applied; change nothing.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub dry_run: Arg<bool>,
    /// Milliseconds to wait before watching the InferenceService again after
    /// a failed watch (default 2000; tests shorten it).
    #[arg(long, hide = true)]
    pub poll_ms: Option<u64>,
}

/// The `rollout` step.
#[derive(Clone, Debug)]
pub struct Rollout {
    /// Image reference (usually repository + `:` + the `commit` parameter).
    pub image: Value,
    /// InferenceService name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Canary traffic share.
    pub canary_percent: u8,
    /// Only print what would be applied (`true`/`false`, usually the
    /// `dry-run` parameter).
    pub dry_run: Value,
}

impl Step for Rollout {
    type Args = RolloutArgs;
    type Outputs = ();

    fn name(&self) -> String {
        "rollout".to_owned()
    }

    fn wire(self, io: &mut Io<'_>) -> (RolloutArgs, ()) {
        let args = RolloutArgs {
            image: io.value(&self.image),
            name: self.name,
            namespace: self.namespace,
            canary_percent: self.canary_percent,
            timeout_seconds: 600,
            dry_run: io.arg_value(self.dry_run),
            poll_ms: None,
        };
        (args, ())
    }
}
