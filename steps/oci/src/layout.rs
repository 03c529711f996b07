//! An OCI image layout on disk: `oci-layout`, `index.json` naming the
//! image once per tag, and `blobs/sha256/` (a [`Store`]). podman
//! (`podman run oci:DIR:TAG`), skopeo and umoci read it.

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use crate::image::{INDEX_TYPE, Image, MANIFEST_TYPE};
use crate::store::Store;

/// The annotation naming a tag in an index.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// kpipe's annotation with the image's repository.
pub const REPOSITORY: &str = "io.kpipe.image.repository";

/// Writes `image` as an OCI image layout in `dir`, tagged `tags` (its
/// `index.json` is replaced; blobs already there are kept). Blobs that are
/// files are hard-linked where the file system allows.
pub fn write(image: &Image, dir: &Path, repository: &str, tags: &[String]) -> anyhow::Result<()> {
    let store = Store::new(dir);
    for blob in image.blobs().chain([&image.manifest]) {
        store
            .put(blob)
            .with_context(|| format!("cannot write the image layout {}", dir.display()))?;
    }
    write_file(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let manifests: Vec<Value> = tags
        .iter()
        .map(|t| {
            json!({
                "mediaType": MANIFEST_TYPE,
                "digest": image.digest(),
                "size": image.manifest.size,
                "annotations": {REF_NAME: t, REPOSITORY: repository},
            })
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests});
    write_file(
        &dir.join("index.json"),
        &serde_json::to_vec_pretty(&index).context("cannot write index.json")?,
    )
}

/// Replaces `path` with `bytes` through a synced temporary file.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    });
    written
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Config;
    use crate::layer::{Entry, build};

    #[test]
    fn a_layout_names_the_image_once_per_tag() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let layer = build(&[Entry::file("/a", b"a".to_vec(), 0o644)])?;
        let image = Image::new(&Config::new(vec!["/a".into()]), vec![layer])?;
        write(
            &image,
            tmp.path(),
            "r.io/x",
            &["v1".into(), "latest".into()],
        )?;
        let index: Value = serde_json::from_slice(&std::fs::read(tmp.path().join("index.json"))?)?;
        let tags: Vec<_> = index["manifests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| (m["digest"].as_str(), m["annotations"][REF_NAME].as_str()))
            .collect();
        let d = Some(image.digest());
        assert_eq!(tags, [(d, Some("v1")), (d, Some("latest"))]);
        let store = Store::new(tmp.path());
        for blob in image.blobs().chain([&image.manifest]) {
            assert!(store.get(&blob.digest)?.is_some(), "{}", blob.digest);
        }
        Ok(())
    }
}
