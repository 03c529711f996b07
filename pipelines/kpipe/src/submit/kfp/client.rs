//! HTTP to the Kubeflow Pipelines API server: URLs under `/apis/<version>/`
//! (every path segment percent-encoded by `url`, queries by reqwest), the
//! bearer token, JSON answers, multipart uploads, and refusals as
//! [`ApiError`].

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode, Url};
use secrecy::SecretString;
use serde_json::Value;

use crate::submit::{http, token};

/// An error answer of the KFP API.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// What kpipe tried.
    pub(crate) what: String,
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// The server's message (`googleRpcStatus.error`/`message`, or the body).
    pub(crate) message: String,
    /// What to do about it, when kpipe knows more than the status says.
    pub(crate) hint: Option<&'static str>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Kubeflow Pipelines refused to {} ({}): {}",
            self.what, self.status, self.message
        )?;
        match (self.hint, self.status.as_u16()) {
            (Some(hint), _) => write!(f, "; {hint}"),
            (None, 401) => {
                f.write_str("; pass a valid bearer token with KPIPE_KFP_TOKEN or --kfp-token-file")
            }
            (None, 403) => {
                f.write_str("; the token's identity may not use this namespace or experiment")
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

/// The status of `e` when it is KFP's refusal.
pub(crate) fn refused(e: &anyhow::Error) -> Option<StatusCode> {
    e.downcast_ref::<ApiError>().map(|a| a.status)
}

/// KFP's answer to an upload whose name is taken (409 AlreadyExists).
pub(crate) fn conflict(e: &anyhow::Error) -> bool {
    refused(e) == Some(StatusCode::CONFLICT)
}

/// Adds `hint` to KFP's refusal with `status`.
pub(crate) fn with_hint(mut e: anyhow::Error, status: u16, hint: &'static str) -> anyhow::Error {
    if let Some(a) = e.downcast_mut::<ApiError>()
        && a.status == status
    {
        a.hint = Some(hint);
    }
    e
}

/// A KFP compiled file to upload, as the multipart `uploadfile` part.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Package<'a> {
    /// The pipeline's name.
    pub(crate) pipeline: &'a str,
    /// `<pipeline>.yaml`.
    pub(crate) file_name: &'a str,
    /// The Workflow (v1beta1) or the IR (v2beta1).
    pub(crate) yaml: &'a str,
}

/// A client of one KFP API version (`v1beta1`, `v2beta1`).
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: Url,
    version: &'static str,
    token: Option<SecretString>,
}

impl Client {
    /// A client for the API at `url` (the API server, or the UI's
    /// `…/pipeline` prefix behind Kubeflow's gateway).
    pub(crate) fn new(
        url: &str,
        token: Option<SecretString>,
        version: &'static str,
    ) -> anyhow::Result<Self> {
        let base = Url::parse(url).with_context(|| {
            format!("--kfp {url} is not a URL (e.g. http://ml-pipeline.kubeflow:8888)")
        })?;
        if base.cannot_be_a_base() {
            anyhow::bail!(
                "--kfp {url} cannot be a base URL (e.g. http://ml-pipeline.kubeflow:8888)"
            );
        }
        Ok(Self {
            http: http::client(Duration::from_secs(120))?,
            base,
            version,
            token,
        })
    }

    /// The URL given, without a trailing slash (for links to the UI).
    pub(crate) fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `<base>/apis/<version>/<segments…>`.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["apis", self.version])
                .extend(segments);
        }
        url
    }

    /// A request to `segments` under the API, with the token.
    pub(crate) fn request(&self, method: Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, self.url(segments))
            .header(ACCEPT, "application/json");
        match token::non_empty(self.token.as_ref()) {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    }

    /// Sends `request` (to `what`); the JSON answer, `null` when empty.
    pub(crate) async fn send(
        &self,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<Value> {
        let base = self.base();
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach Kubeflow Pipelines at {base} to {what}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to `{what}` from {base}"))?;
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v["error"]
                        .as_str()
                        .or_else(|| v["message"].as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| text.trim().chars().take(500).collect());
            let message = if message.is_empty() {
                "(no message)".to_owned()
            } else {
                message
            };
            return Err(ApiError {
                what: what.to_owned(),
                status,
                message,
                hint: None,
            }
            .into());
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| {
            format!("Kubeflow Pipelines at {base} answered `{what}` with something other than JSON")
        })
    }

    /// Uploads `package` as the multipart `uploadfile` to `segments` with
    /// `query`.
    pub(crate) async fn upload(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        package: Package<'_>,
        what: &str,
    ) -> anyhow::Result<Value> {
        let part = reqwest::multipart::Part::text(package.yaml.to_owned())
            .file_name(package.file_name.to_owned())
            .mime_str("application/x-yaml")
            .context("multipart body")?;
        let form = reqwest::multipart::Form::new().part("uploadfile", part);
        let request = self
            .request(Method::POST, segments)
            .query(query)
            .multipart(form);
        self.send(what, request).await
    }
}

/// The non-empty string at `v`, or an error naming `what` is missing.
/// The `namespace` query parameter, when one is given (both APIs).
pub(crate) fn namespace(ns: Option<&str>) -> Vec<(&str, &str)> {
    ns.map(|n| ("namespace", n)).into_iter().collect()
}

pub(crate) fn string(v: &Value, what: &str) -> anyhow::Result<String> {
    v.as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .with_context(|| format!("Kubeflow Pipelines' answer has no {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do() {
        let e = ApiError {
            what: "create run x".into(),
            status: StatusCode::UNAUTHORIZED,
            message: "Unauthorized access".into(),
            hint: None,
        };
        let text = e.to_string();
        assert!(text.contains("create run x"), "{text}");
        assert!(text.contains("401"), "{text}");
        assert!(text.contains("KPIPE_KFP_TOKEN"), "{text}");
        let e = with_hint(
            e.into(),
            401,
            "KFP 1.x serves only the v1beta1 API: use --kfp-api v1",
        );
        assert!(
            format!("{e}").ends_with("; KFP 1.x serves only the v1beta1 API: use --kfp-api v1")
        );
    }

    #[test]
    fn paths_are_encoded_under_the_api() {
        let client = Client::new("http://kfp.example/pipeline/", None, "v2beta1")
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(client.base(), "http://kfp.example/pipeline");
        assert_eq!(
            client
                .url(&["pipelines", "names", "my pipeline/v1?"])
                .as_str(),
            "http://kfp.example/pipeline/apis/v2beta1/pipelines/names/my%20pipeline%2Fv1%3F"
        );
        assert_eq!(
            client.url(&["runs", "r-1:terminate"]).as_str(),
            "http://kfp.example/pipeline/apis/v2beta1/runs/r-1:terminate"
        );
        assert!(Client::new("ml-pipeline:8888", None, "v2beta1").is_err());
    }
}
