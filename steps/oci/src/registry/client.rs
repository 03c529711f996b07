//! Requests to one repository of a registry, authenticated as the registry
//! asks: on a 401 the challenge is answered once and the request resent.

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use super::challenge::Challenge;
use super::credentials::Credentials;
use crate::reference::Reference;

/// A registry client for one repository.
#[derive(Debug)]
pub struct Client {
    pub(super) http: reqwest::Client,
    base: String,
    pub(super) reference: Reference,
    credentials: Option<Credentials>,
    authorization: Option<SecretString>,
    access: &'static str,
    hint: String,
}

impl Client {
    /// A client for `reference`'s repository: HTTPS, except plain HTTP to a
    /// loopback registry or when `plain_http` (other test registries).
    pub fn new(
        http: reqwest::Client,
        reference: Reference,
        credentials: Option<Credentials>,
        plain_http: bool,
    ) -> Self {
        let scheme = if plain_http || reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        Self {
            base: format!("{scheme}://{}", reference.api_host()),
            http,
            reference,
            credentials,
            authorization: None,
            access: "pull,push",
            hint: "pass registry credentials".to_owned(),
        }
    }

    /// Asks for read access only (a token for `pull`), for pulling.
    pub fn pull_only(mut self) -> Self {
        self.access = "pull";
        self
    }

    /// How the user gives credentials, for errors (`pass --registry-auth`).
    pub fn credentials_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// The scheme and host requests go to.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The repository.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Sends a request; on 401 answers the challenge once and resends.
    pub(super) async fn send(
        &mut self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<reqwest::Response> {
        for attempt in 0..2 {
            let mut req = self.http.request(method.clone(), url);
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(a) = &self.authorization {
                req = req.header("authorization", sensitive_header(a.expose_secret())?);
            }
            if let Some(b) = &body {
                req = req.body(b.clone());
            }
            let resp = req.send().await.with_context(|| {
                format!(
                    "cannot reach the registry {} ({method} {url})",
                    self.reference.domain
                )
            })?;
            if resp.status() != StatusCode::UNAUTHORIZED {
                return Ok(resp);
            }
            if attempt == 1 {
                let why = if self.credentials.is_some() {
                    "rejected the credentials"
                } else {
                    "wants credentials, and none were given"
                };
                bail!(
                    "the registry {} {why} ({method} {url}): {}",
                    self.reference.domain,
                    self.hint
                );
            }
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let challenge = Challenge::parse(challenge)?;
            self.authorization = Some(
                challenge
                    .answer(
                        &self.http,
                        self.credentials.as_ref(),
                        &self.reference,
                        self.access,
                        &self.hint,
                    )
                    .await?,
            );
        }
        bail!("the registry kept asking for authentication")
    }

    /// `BASE/v2/REPOSITORY/rest`.
    pub(super) fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.reference.repository)
    }

    /// An upload `Location`, made absolute.
    pub(super) fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!("{}{location}", self.base)
        }
    }
}

/// An `authorization` header value that HTTP/2 never indexes and debug
/// output hides.
pub(super) fn sensitive_header(value: &str) -> anyhow::Result<reqwest::header::HeaderValue> {
    let mut v = reqwest::header::HeaderValue::from_str(value)
        .context("a credential holds characters an HTTP header cannot carry")?;
    v.set_sensitive(true);
    Ok(v)
}

/// The first 500 characters of an error answer's body.
pub(super) async fn body_excerpt(resp: reqwest::Response) -> String {
    resp.text()
        .await
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect()
}
