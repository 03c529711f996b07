//! Pushing an image over the OCI distribution API: requests that answer
//! the registry's authentication challenge, manifests, and the push of a
//! whole image (blob uploads: [`upload`](super::upload)).

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};

use super::challenge::Challenge;
use super::credentials::Credentials;
use super::image::{Image, MANIFEST_TYPE};
use super::reference::Reference;
use crate::secret::{ExposeSecret, SecretString};

/// Pushes blobs and manifests, authenticating as the registry asks.
#[derive(Debug)]
pub struct Pusher {
    pub(super) http: reqwest::Client,
    base: String,
    pub(super) reference: Reference,
    credentials: Option<Credentials>,
    authorization: Option<SecretString>,
}

impl Pusher {
    /// A pusher to `reference`: HTTPS, except plain HTTP to a loopback
    /// registry or when `plain_http` (other test registries).
    pub fn new(
        reference: Reference,
        credentials: Option<Credentials>,
        plain_http: bool,
    ) -> anyhow::Result<Self> {
        let scheme = if plain_http || reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        Ok(Self {
            base: format!("{scheme}://{}", reference.api_host()),
            http: crate::http::client(Duration::from_secs(300))?,
            reference,
            credentials,
            authorization: None,
        })
    }

    /// The scheme and host requests go to.
    pub fn base(&self) -> &str {
        &self.base
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
                req = req.header(
                    "authorization",
                    crate::http::sensitive_header(a.expose_secret())?,
                );
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
                bail!(
                    "the registry {} rejected the credentials ({method} {url}): check --registry-auth",
                    self.reference.domain
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
                    .answer(&self.http, self.credentials.as_ref(), &self.reference)
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

    /// Puts the manifest under `tag`.
    pub async fn manifest(&mut self, image: &Image, tag: &str) -> anyhow::Result<()> {
        let resp = self
            .send(
                Method::PUT,
                &self.url(&format!("manifests/{tag}")),
                &[("content-type", MANIFEST_TYPE.into())],
                Some(image.manifest.clone()),
            )
            .await?;
        if resp.status() != StatusCode::CREATED {
            let status = resp.status().as_u16();
            let body: String = resp
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(500)
                .collect();
            bail!("the registry did not accept the manifest for tag {tag}: HTTP {status}: {body}");
        }
        Ok(())
    }
}

/// Pushes `image` to `reference` under every tag.
pub async fn push(
    image: &Image,
    reference: Reference,
    tags: &[String],
    credentials: Option<Credentials>,
    plain_http: bool,
) -> anyhow::Result<()> {
    let mut p = Pusher::new(reference, credentials, plain_http)?;
    for (digest, bytes) in &image.blobs {
        let uploaded = p.blob(digest, bytes).await?;
        eprintln!(
            "{} {digest} ({} bytes)",
            if uploaded { "Pushed" } else { "Exists" },
            bytes.len()
        );
    }
    for tag in tags {
        p.manifest(image, tag).await?;
        eprintln!("Tagged {}:{tag} = {}", p.reference, image.digest);
    }
    Ok(())
}
