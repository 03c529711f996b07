//! `bot`: the Prow external plugin that labels pull requests `kind/bug`.

use std::path::PathBuf;

/// Run the Prow external plugin that labels pull requests kind/bug.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "bot")]
#[command(group(clap::ArgGroup::new("predictor").required(true).args(["predict_url", "model"])))]
pub struct BotArgs {
    /// Prow's HMAC secret: one token, or Prow's YAML map of org/repo → tokens.
    #[arg(long)]
    pub hmac_secret_file: PathBuf,
    /// GitHub token of the bot account.
    #[arg(long)]
    pub github_token_file: PathBuf,
    /// KServe V1 predict URL of the served model.
    #[arg(long)]
    pub predict_url: Option<String>,
    /// Predict in-process with this model directory instead of --predict-url.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Base URL of the GitHub REST API.
    #[arg(long, default_value = "https://api.github.com")]
    pub github_api_url: String,
    /// Probability at or above which a PR gets `kind/bug` [default: the
    /// threshold stored with the model, from --model or the model server].
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Log what would change on GitHub; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8888)]
    pub port: u16,
}
