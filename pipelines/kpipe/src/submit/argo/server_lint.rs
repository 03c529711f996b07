//! The Argo Server's own lint (`POST /api/v1/workflows/{ns}/lint`) before
//! anything is created.

use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::submit::{http, token};

/// Lints the Workflow with the Argo Server at `server`.
pub(super) async fn lint(
    server: &str,
    token: Option<&SecretString>,
    namespace: &str,
    workflow: &Value,
) -> anyhow::Result<()> {
    let mut url = reqwest::Url::parse(server)
        .with_context(|| format!("--argo-server {server} is not a URL"))?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("--argo-server {server} cannot be a base URL"))?
        .pop_if_empty()
        .extend(["api", "v1", "workflows", namespace, "lint"]);
    let mut request = http::client(Duration::from_secs(60))?
        .post(url.clone())
        .json(&json!({"namespace": namespace, "workflow": workflow}));
    if let Some(t) = token::non_empty(token) {
        request = request.bearer_auth(t);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach the Argo Server at {server} ({url})"))?;
    let status = response.status();
    if status.is_success() {
        eprintln!("Argo Server {server}: the Workflow passes its lint");
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or(text);
    if matches!(status.as_u16(), 401 | 403) {
        bail!(
            "the Argo Server at {server} refused the lint request ({status}): {message}; set ARGO_TOKEN to a valid token"
        );
    }
    bail!("not sent: the Argo Server at {server} rejects the Workflow ({status}): {message}")
}
