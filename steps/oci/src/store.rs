//! A content-addressed blob directory: `ROOT/blobs/sha256/<hex>`, the
//! shape of an OCI image layout's blobs (so a layout is a store) and of
//! kpipe's image cache.
//!
//! Blobs are written to a temporary file in the same directory, checked
//! against their digest, synced and renamed into place: a reader never sees
//! half a blob, and two writers of the same blob both succeed.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};

use crate::blob::Blob;
use crate::digest::{HashingWriter, hex_of};

/// A blob directory.
#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store under `root` (`root/blobs/sha256`); created on first write.
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join("blobs").join("sha256"),
        }
    }

    /// Where blob `digest` lives (whether or not it is there).
    pub fn path(&self, digest: &str) -> anyhow::Result<PathBuf> {
        Ok(self.dir.join(hex_of(digest)?))
    }

    /// Blob `digest`, if the store has it.
    pub fn get(&self, digest: &str) -> anyhow::Result<Option<Blob>> {
        let path = self.path(digest)?;
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(Blob::from_file(path, digest.to_owned(), m.len()))),
            Ok(_) => bail!("{} is not a file", path.display()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Puts `blob` in the store (a hard link to a file blob where the file
    /// system allows, else a copy) and returns the store's blob.
    pub fn put(&self, blob: &Blob) -> anyhow::Result<Blob> {
        if let Some(have) = self.get(&blob.digest)? {
            return Ok(have);
        }
        let path = self.path(&blob.digest)?;
        if let Some(src) = blob.path() {
            self.create_dir()?;
            if std::fs::hard_link(src, &path).is_ok() || self.get(&blob.digest)?.is_some() {
                return Ok(Blob::from_file(path, blob.digest.clone(), blob.size));
            }
        }
        let mut w = self.writer()?;
        let mut r = blob
            .open()
            .with_context(|| format!("cannot read blob {}", blob.digest))?;
        io::copy(&mut r, &mut w).with_context(|| format!("cannot copy blob {}", blob.digest))?;
        w.commit(Some(&blob.digest))
    }

    /// A writer of a new blob; [`BlobWriter::commit`] names it by its digest.
    pub fn writer(&self) -> anyhow::Result<BlobWriter> {
        self.create_dir()?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(BlobWriter {
            inner: Some(HashingWriter::new(BufWriter::new(file))),
            tmp,
            dir: self.dir.clone(),
        })
    }

    /// Copies everything `reader` yields into the store as one blob, which
    /// must have digest `expected` when one is given.
    pub fn put_reader(
        &self,
        reader: &mut dyn Read,
        expected: Option<&str>,
    ) -> anyhow::Result<Blob> {
        let mut w = self.writer()?;
        io::copy(reader, &mut w).context("cannot write a blob")?;
        w.commit(expected)
    }

    fn create_dir(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))
    }
}

/// A blob being written into a [`Store`]; dropped without
/// [`commit`](Self::commit), it leaves nothing behind.
#[derive(Debug)]
pub struct BlobWriter {
    inner: Option<HashingWriter<BufWriter<File>>>,
    tmp: PathBuf,
    dir: PathBuf,
}

impl BlobWriter {
    /// Syncs the blob and moves it to its name. With `expected`, a blob of
    /// another digest is refused (and removed).
    pub fn commit(mut self, expected: Option<&str>) -> anyhow::Result<Blob> {
        let Some(inner) = self.inner.take() else {
            bail!("kpipe-oci bug: a blob committed twice");
        };
        let committed = self.finish(inner, expected);
        if committed.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        committed
    }

    fn finish(
        &self,
        inner: HashingWriter<BufWriter<File>>,
        expected: Option<&str>,
    ) -> anyhow::Result<Blob> {
        let (buf, digest, size) = inner.finish();
        let file = buf
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        if let Some(want) = expected
            && want != digest
        {
            bail!(
                "the blob's content has digest {digest}, not the expected {want}: it was corrupted on the way"
            );
        }
        file.sync_all()
            .with_context(|| format!("cannot sync {}", self.tmp.display()))?;
        let path = self.dir.join(hex_of(&digest)?);
        std::fs::rename(&self.tmp, &path)
            .with_context(|| format!("cannot move a blob to {}", path.display()))?;
        Ok(Blob::from_file(path, digest, size))
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Some(w) => w.write(buf),
            None => Err(io::Error::other("blob already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_stored_by_digest_and_checked() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let store = Store::new(tmp.path());
        let blob = Blob::from_bytes(b"layer".to_vec());
        let put = store.put(&blob)?;
        assert_eq!((put.digest.as_str(), put.size), (blob.digest.as_str(), 5));
        assert_eq!(std::fs::read(store.path(&blob.digest)?)?, b"layer");
        // Into a second store: linked or copied, same blob.
        let other = Store::new(&tmp.path().join("other"));
        assert_eq!(other.put(&put)?.bytes()?.as_slice(), b"layer");
        // A corrupted download is refused and leaves nothing.
        let e = store
            .put_reader(&mut &b"other"[..], Some(&blob.digest))
            .map_err(|e| format!("{e:#}"));
        assert!(e.as_ref().is_err_and(|e| e.contains("corrupted")), "{e:?}");
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("blobs/sha256"))?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        Ok(())
    }
}
