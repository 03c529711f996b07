//! Pushing an image: every blob (those the registry has are skipped), then
//! the manifest under each tag.

use anyhow::bail;
use reqwest::{Method, StatusCode};

use super::client::{Client, body_excerpt};
use crate::image::{Image, MANIFEST_TYPE};

impl Client {
    /// Puts `image`'s manifest under `tag`.
    pub async fn put_manifest(&mut self, image: &Image, tag: &str) -> anyhow::Result<()> {
        let manifest = image.manifest.bytes()?;
        let resp = self
            .send(
                Method::PUT,
                &self.url(&format!("manifests/{tag}")),
                &[("content-type", MANIFEST_TYPE.into())],
                Some(manifest.to_vec()),
            )
            .await?;
        if resp.status() != StatusCode::CREATED {
            let status = resp.status().as_u16();
            let body = body_excerpt(resp).await;
            bail!("the registry did not accept the manifest for tag {tag}: HTTP {status}: {body}");
        }
        Ok(())
    }
}

/// Pushes `image` to the client's repository under every tag, reporting
/// each blob and tag on stderr.
pub async fn push(client: &mut Client, image: &Image, tags: &[String]) -> anyhow::Result<()> {
    for blob in image.blobs() {
        let uploaded = client.upload(blob).await?;
        eprintln!(
            "{} {} ({} bytes)",
            if uploaded { "Pushed" } else { "Exists" },
            blob.digest,
            blob.size
        );
    }
    for tag in tags {
        client.put_manifest(image, tag).await?;
        eprintln!("Tagged {}:{tag} = {}", client.reference(), image.digest());
    }
    Ok(())
}
