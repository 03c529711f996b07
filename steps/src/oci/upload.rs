//! Blob upload: skip what the registry has, else a chunked upload session
//! (POST, PATCH per 5 MiB chunk, PUT with the digest).

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};

use super::registry::Pusher;

/// Upload chunk size.
const CHUNK: usize = 5 << 20;

impl Pusher {
    /// Uploads one blob unless the registry has it. Returns whether it uploaded.
    pub async fn blob(&mut self, digest: &str, bytes: &[u8]) -> anyhow::Result<bool> {
        let head = self
            .send(
                Method::HEAD,
                &self.url(&format!("blobs/{digest}")),
                &[],
                None,
            )
            .await?;
        if head.status().is_success() {
            return Ok(false);
        }
        let start = self
            .send(
                Method::POST,
                &self.url("blobs/uploads/"),
                &[("content-length", "0".into())],
                Some(Vec::new()),
            )
            .await?;
        expect(&start, StatusCode::ACCEPTED, || {
            "the registry refused to start an upload".to_owned()
        })?;
        let mut location = location(&start)?;
        let mut offset = 0usize;
        for chunk in bytes.chunks(CHUNK) {
            let end = offset + chunk.len() - 1;
            let url = self.absolute(&location);
            let resp = self
                .send(
                    Method::PATCH,
                    &url,
                    &[
                        ("content-type", "application/octet-stream".into()),
                        ("content-range", format!("{offset}-{end}")),
                        ("content-length", chunk.len().to_string()),
                    ],
                    Some(chunk.to_vec()),
                )
                .await?;
            expect(&resp, StatusCode::ACCEPTED, || {
                format!("the registry refused an upload chunk of {digest}")
            })?;
            location = self::location(&resp)?;
            offset = end + 1;
        }
        let mut url = reqwest::Url::parse(&self.absolute(&location))
            .with_context(|| format!("the registry's upload location `{location}` is no URL"))?;
        url.query_pairs_mut().append_pair("digest", digest);
        let done = self
            .send(
                Method::PUT,
                url.as_str(),
                &[("content-length", "0".into())],
                Some(Vec::new()),
            )
            .await?;
        expect(&done, StatusCode::CREATED, || {
            format!("the registry did not accept blob {digest}")
        })?;
        Ok(true)
    }
}

fn expect(
    resp: &reqwest::Response,
    want: StatusCode,
    what: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if resp.status() != want {
        bail!("{}: HTTP {}", what(), resp.status().as_u16());
    }
    Ok(())
}

fn location(resp: &reqwest::Response) -> anyhow::Result<String> {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .context("the registry's upload answer has no Location")
}
