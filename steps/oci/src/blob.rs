//! A blob (layer, config, manifest): its digest and size, and its bytes in
//! memory or in a file (a store's, so that a base image of gigabytes is
//! never loaded whole).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::digest::sha256;

/// A content-addressed blob.
#[derive(Clone)]
pub struct Blob {
    /// `sha256:` of the bytes.
    pub digest: String,
    /// Length in bytes.
    pub size: u64,
    source: Source,
}

#[derive(Clone)]
enum Source {
    Bytes(Arc<Vec<u8>>),
    File(PathBuf),
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Blob");
        d.field("digest", &self.digest).field("size", &self.size);
        if let Source::File(p) = &self.source {
            d.field("file", p);
        }
        d.finish()
    }
}

impl Blob {
    /// A blob held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            digest: sha256(&bytes),
            size: bytes.len() as u64,
            source: Source::Bytes(Arc::new(bytes)),
        }
    }

    /// A blob in `path` whose digest and size are known (a store's file,
    /// named by its digest and checked when it was written).
    pub fn from_file(path: PathBuf, digest: String, size: u64) -> Self {
        Self {
            digest,
            size,
            source: Source::File(path),
        }
    }

    /// The file holding the blob, if it is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Bytes(_) => None,
        }
    }

    /// A reader of the bytes.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match &self.source {
            Source::Bytes(b) => Box::new(io::Cursor::new(ArcBytes(b.clone()))),
            Source::File(p) => Box::new(File::open(p)?),
        })
    }

    /// All the bytes (read from the file if the blob is one).
    pub fn bytes(&self) -> io::Result<Arc<Vec<u8>>> {
        match &self.source {
            Source::Bytes(b) => Ok(b.clone()),
            Source::File(p) => std::fs::read(p).map(Arc::new),
        }
    }
}

/// `Arc<Vec<u8>>` as `AsRef<[u8]>`, for a cursor over shared bytes.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
