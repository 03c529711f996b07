//! Blob upload: skip what the registry has, else a chunked upload session
//! (POST, PATCH per 5 MiB chunk read from the blob, PUT with the digest).

use std::io::Read;

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};

use super::client::Client;
use crate::blob::Blob;

/// Upload chunk size.
const CHUNK: usize = 5 << 20;

impl Client {
    /// Uploads `blob` unless the registry has it. Returns whether it uploaded.
    pub async fn upload(&mut self, blob: &Blob) -> anyhow::Result<bool> {
        let digest = &blob.digest;
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
        let mut reader = blob
            .open()
            .with_context(|| format!("cannot read blob {digest}"))?;
        let mut offset = 0u64;
        loop {
            let chunk =
                read_chunk(&mut reader).with_context(|| format!("cannot read blob {digest}"))?;
            if chunk.is_empty() {
                break;
            }
            let end = offset + chunk.len() as u64 - 1;
            let url = self.absolute(&location);
            let len = chunk.len();
            let resp = self
                .send(
                    Method::PATCH,
                    &url,
                    &[
                        ("content-type", "application/octet-stream".into()),
                        ("content-range", format!("{offset}-{end}")),
                        ("content-length", len.to_string()),
                    ],
                    Some(chunk),
                )
                .await?;
            expect(&resp, StatusCode::ACCEPTED, || {
                format!("the registry refused an upload chunk of {digest}")
            })?;
            location = self::location(&resp)?;
            offset = end + 1;
        }
        if offset != blob.size {
            bail!(
                "blob {digest} changed while it was uploaded ({offset} bytes, not {})",
                blob.size
            );
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

/// Up to [`CHUNK`] bytes (fewer only at the end).
fn read_chunk(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut chunk = Vec::with_capacity(CHUNK);
    r.take(CHUNK as u64).read_to_end(&mut chunk)?;
    Ok(chunk)
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
