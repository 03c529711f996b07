//! kpipe's image cache: `$XDG_CACHE_HOME/kpipe/image` (default
//! `~/.cache/kpipe/image`). Blobs by digest in `blobs/sha256/` (an OCI
//! layout's store, so `-o` hard-links from it); a base's record per recipe
//! or pulled digest in `bases/`; which compressed blob holds each binary
//! layer (by its uncompressed digest) in `layers/`. Everything is written
//! to a temporary file and renamed, so concurrent builds and a build killed
//! halfway leave only whole entries. Delete the directory to start afresh.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kpipe_oci::digest::hex_of;
use kpipe_oci::{Blob, Store};

/// The cache directory.
#[derive(Clone, Debug)]
pub(crate) struct Cache {
    root: PathBuf,
    store: Store,
}

impl Cache {
    /// The per-user cache.
    pub(crate) fn open() -> anyhow::Result<Self> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let base = var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
            .context(
                "neither XDG_CACHE_HOME nor HOME is set: kpipe has nowhere to cache image layers",
            )?;
        Ok(Self::at(&base.join("kpipe").join("image")))
    }

    /// The cache at `root`.
    pub(crate) fn at(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            store: Store::new(root),
        }
    }

    /// Where it is.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Its blobs.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The record file `bases/NAME.json`.
    pub(crate) fn record(&self, name: &str) -> PathBuf {
        self.root.join("bases").join(format!("{name}.json"))
    }

    /// Reads a record; `None` when there is none, or it is unreadable (a
    /// warning: it is made again) or names a blob the store lost.
    pub(crate) fn read_record<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Option<T> {
        let text = std::fs::read(path).ok()?;
        match serde_json::from_slice(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!(
                    "warning: ignoring the damaged cache entry {} ({e}); making it again",
                    path.display()
                );
                None
            }
        }
    }

    /// Writes a record atomically.
    pub(crate) fn write_record<T: serde::Serialize>(
        &self,
        path: &Path,
        value: &T,
    ) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(value).context("cannot write a cache record")?;
        write_atomic(path, &bytes)
    }

    /// An exclusive lock on `name` (held until the file is dropped), so two
    /// builds do not make the same base at once.
    pub(crate) fn lock(&self, name: &str) -> anyhow::Result<File> {
        let path = self.root.join("locks").join(format!("{name}.lock"));
        create_parent(&path)?;
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }

    /// The compressed blob of the layer whose uncompressed digest is
    /// `diff_id`, if cached.
    pub(crate) fn compressed(&self, diff_id: &str) -> anyhow::Result<Option<Blob>> {
        let memo = self.root.join("layers").join(hex_of(diff_id)?);
        let Ok(digest) = std::fs::read_to_string(&memo) else {
            return Ok(None);
        };
        match hex_of(digest.trim()) {
            Ok(_) => self.store.get(digest.trim()),
            Err(_) => Ok(None),
        }
    }

    /// Remembers that `blob` is the compressed layer of `diff_id`.
    pub(crate) fn remember(&self, diff_id: &str, blob: &Blob) -> anyhow::Result<()> {
        let memo = self.root.join("layers").join(hex_of(diff_id)?);
        write_atomic(&memo, blob.digest.as_bytes())
    }
}

fn create_parent(path: &Path) -> anyhow::Result<()> {
    match path.parent() {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
        }
        None => bail!("{} has no parent directory", path.display()),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    create_parent(path)?;
    crate::fsutil::write_bytes_atomic(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_layer_memos_round_trip_and_damage_is_ignored() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let cache = Cache::at(tmp.path());
        let path = cache.record("x");
        assert_eq!(cache.read_record::<Vec<String>>(&path), None);
        cache.write_record(&path, &vec!["a".to_owned()])?;
        assert_eq!(
            cache.read_record::<Vec<String>>(&path),
            Some(vec!["a".to_owned()])
        );
        std::fs::write(&path, "{not json")?;
        assert_eq!(cache.read_record::<Vec<String>>(&path), None);

        let blob = cache.store().put(&Blob::from_bytes(b"gz".to_vec()))?;
        let diff_id = kpipe_oci::sha256(b"tar");
        assert!(cache.compressed(&diff_id)?.is_none());
        cache.remember(&diff_id, &blob)?;
        assert_eq!(
            cache.compressed(&diff_id)?.map(|b| b.digest),
            Some(blob.digest.clone())
        );
        // A memo whose blob is gone is a miss.
        std::fs::remove_file(cache.store().path(&blob.digest)?)?;
        assert!(cache.compressed(&diff_id)?.is_none());
        let _lock = cache.lock("debian")?;
        Ok(())
    }
}
