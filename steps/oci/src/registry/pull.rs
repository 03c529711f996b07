//! Pulling an image into a [`Store`]: the manifest (an index or manifest
//! list resolved to this machine's platform), the config and every layer,
//! each checked against its digest and streamed to disk.

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::client::{Client, body_excerpt};
use crate::blob::Blob;
use crate::digest::sha256;
use crate::image::{INDEX_TYPE, MANIFEST_TYPE};
use crate::layer::{GZIP_TYPE, Layer, TAR_TYPE, ZSTD_TYPE};
use crate::store::Store;

const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A pulled image: its manifest's digest, its config and its layers (in the store).
#[derive(Clone, Debug)]
pub struct Pulled {
    /// `sha256:` of the (platform's) manifest.
    pub digest: String,
    /// The image config.
    pub config: Value,
    /// The layers, base first, with their `diff_id`s from the config.
    pub layers: Vec<Layer>,
}

/// Pulls `reference` (a tag or a digest) of the client's repository for
/// `linux/architecture` into `store`; blobs the store has are not fetched.
pub async fn pull(
    client: &mut Client,
    reference: &str,
    architecture: &str,
    store: &Store,
) -> anyhow::Result<Pulled> {
    let (mut body, mut media_type) = client.manifest(reference).await?;
    if reference.starts_with("sha256:") && sha256(&body) != reference {
        bail!("the registry sent a manifest that does not match {reference}");
    }
    let mut parsed: Value = serde_json::from_slice(&body)
        .with_context(|| format!("the manifest of {} is not JSON", client.reference()))?;
    if media_type.is_empty() {
        media_type = parsed["mediaType"]
            .as_str()
            .unwrap_or(MANIFEST_TYPE)
            .to_owned();
    }
    if media_type == INDEX_TYPE || media_type == DOCKER_LIST || parsed.get("manifests").is_some() {
        let digest = platform_manifest(&parsed, architecture).with_context(|| {
            format!(
                "{}:{reference} has no image for linux/{architecture}",
                client.reference()
            )
        })?;
        (body, _) = client.manifest(&digest).await?;
        if sha256(&body) != digest {
            bail!("the registry sent a manifest that does not match {digest}");
        }
        parsed = serde_json::from_slice(&body)
            .with_context(|| format!("the manifest {digest} is not JSON"))?;
    }
    let digest = sha256(&body);
    let config_digest = parsed["config"]["digest"]
        .as_str()
        .context("the image manifest names no config")?
        .to_owned();
    let config = client.blob(&config_digest, store).await?;
    let config: Value = serde_json::from_slice(&config.bytes()?)
        .with_context(|| format!("the image config {config_digest} is not JSON"))?;
    let diff_ids: Vec<&str> = config["rootfs"]["diff_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let descriptors = parsed["layers"].as_array().cloned().unwrap_or_default();
    if descriptors.len() != diff_ids.len() {
        bail!(
            "the image has {} layers but its config lists {} diff_ids",
            descriptors.len(),
            diff_ids.len()
        );
    }
    let mut layers = Vec::new();
    for (d, diff_id) in descriptors.iter().zip(diff_ids) {
        let layer_digest = d["digest"].as_str().context("a layer has no digest")?;
        let media_type = layer_type(d["mediaType"].as_str().unwrap_or(""))?;
        let blob = client.blob(layer_digest, store).await?;
        layers.push(Layer {
            blob,
            diff_id: diff_id.to_owned(),
            media_type: media_type.to_owned(),
        });
    }
    Ok(Pulled {
        digest,
        config,
        layers,
    })
}

/// The OCI media type of a layer of `media_type` (docker's gzip layers are
/// OCI gzip layers).
fn layer_type(media_type: &str) -> anyhow::Result<&'static str> {
    Ok(match media_type {
        GZIP_TYPE | "application/vnd.docker.image.rootfs.diff.tar.gzip" => GZIP_TYPE,
        ZSTD_TYPE => ZSTD_TYPE,
        TAR_TYPE => TAR_TYPE,
        other => bail!("the base image has a layer of type `{other}`, which kpipe cannot build on"),
    })
}

/// The digest of the `linux/architecture` image in an index.
fn platform_manifest(index: &Value, architecture: &str) -> anyhow::Result<String> {
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let found = entries
        .iter()
        .find(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] == architecture);
    match found.and_then(|m| m["digest"].as_str()) {
        Some(d) => Ok(d.to_owned()),
        None => {
            let have: Vec<String> = entries
                .iter()
                .map(|m| {
                    format!(
                        "{}/{}",
                        m["platform"]["os"].as_str().unwrap_or("?"),
                        m["platform"]["architecture"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            bail!(
                "it has {}",
                if have.is_empty() {
                    "none".to_owned()
                } else {
                    have.join(", ")
                }
            )
        }
    }
}

impl Client {
    /// The manifest `reference` (tag or digest) and its media type.
    async fn manifest(&mut self, reference: &str) -> anyhow::Result<(Vec<u8>, String)> {
        let accept = [INDEX_TYPE, MANIFEST_TYPE, DOCKER_LIST, DOCKER_MANIFEST].join(", ");
        let url = self.url(&format!("manifests/{reference}"));
        let resp = self
            .send(Method::GET, &url, &[("accept", accept)], None)
            .await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            bail!(
                "the registry has no image {}:{reference} (HTTP 404): check the name and the tag",
                self.reference()
            );
        }
        if !status.is_success() {
            let body = body_excerpt(resp).await;
            bail!(
                "the registry refused the manifest of {}:{reference}: HTTP {}: {body}",
                self.reference(),
                status.as_u16()
            );
        }
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
            .filter(|t| t.starts_with("application/vnd."))
            .unwrap_or_default();
        let body = resp
            .bytes()
            .await
            .with_context(|| format!("cannot read the manifest of {}", self.reference()))?;
        Ok((body.to_vec(), media_type))
    }

    /// Blob `digest`, from `store` or fetched into it (checked).
    async fn blob(&mut self, digest: &str, store: &Store) -> anyhow::Result<Blob> {
        if let Some(have) = store.get(digest)? {
            return Ok(have);
        }
        let url = self.url(&format!("blobs/{digest}"));
        let mut resp = self.send(Method::GET, &url, &[], None).await?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let body = body_excerpt(resp).await;
            bail!("the registry refused blob {digest}: HTTP {status}: {body}");
        }
        let mut w = store.writer()?;
        while let Some(chunk) = resp
            .chunk()
            .await
            .with_context(|| format!("the download of blob {digest} broke off"))?
        {
            std::io::Write::write_all(&mut w, &chunk)
                .with_context(|| format!("cannot store blob {digest}"))?;
        }
        let blob = w.commit(Some(digest))?;
        eprintln!("Pulled {digest} ({} bytes)", blob.size);
        Ok(blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_resolves_to_this_platform_or_says_what_it_has() {
        let index = serde_json::json!({"manifests": [
            {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "arm64"}},
            {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "amd64"}},
        ]});
        assert_eq!(
            platform_manifest(&index, "amd64").ok().as_deref(),
            Some("sha256:b")
        );
        let e = platform_manifest(&index, "s390x").map_err(|e| e.to_string());
        assert_eq!(e, Err("it has linux/arm64, linux/amd64".to_owned()));
    }

    #[test]
    fn docker_layers_become_oci_layers_and_foreign_ones_are_refused() {
        assert_eq!(
            layer_type("application/vnd.docker.image.rootfs.diff.tar.gzip").ok(),
            Some(GZIP_TYPE)
        );
        assert!(layer_type("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip").is_err());
    }
}
