//! `serve`: the KServe V1 model server (no pipeline task; the serving image runs it).

use std::path::PathBuf;

/// Serve a model over the KServe V1 protocol.
#[derive(clap::Args, kpipe::ToArgs, Clone, Debug, PartialEq)]
#[kpipe(step = "serve")]
pub struct ServeArgs {
    /// Model directory written by train.
    #[arg(long, env = "KPIPE_MODEL_DIR")]
    pub model: PathBuf,
    /// Model name in the URL paths (/v1/models/NAME:predict).
    #[arg(long, default_value = "kubernetes-analysis")]
    pub name: String,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests taking longer are answered 408.
    #[arg(long, default_value_t = 10)]
    pub request_timeout_seconds: u64,
    /// Probability at or above which a note counts as a bug [default: the
    /// threshold stored with the model].
    #[arg(long)]
    pub threshold: Option<f64>,
}
